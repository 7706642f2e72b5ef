import { boot } from "./boot";
import { CabinetApp } from "./components/CabinetApp";

void boot(() => <CabinetApp />);
