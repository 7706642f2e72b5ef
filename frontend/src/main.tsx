import { boot } from "./boot";
import { App } from "./components/App";

void boot(() => <App />);
