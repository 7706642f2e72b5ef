import { boot } from "./boot";
import { EmbedApp } from "./components/EmbedApp";
import { parseEmbedParams } from "./lib/state";

const params = parseEmbedParams(location.search);
void boot(() => <EmbedApp params={params} />);
