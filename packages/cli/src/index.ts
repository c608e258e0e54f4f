export { buildPack, winkJsonPath, type BuildPackOptions, type BuildPackReport } from "./pack/build-pack.js";
export { readWinkJson, readTextVectors, type VectorEntry } from "./pack/sources.js";
export { buildNeighbourTableParallel } from "./pack/knn-parallel.js";
export { defaultPackPath, REPO_ROOT } from "./paths.js";
