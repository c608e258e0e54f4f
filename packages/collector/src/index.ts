// @veil/collector: the analyst's side. Node only.
export { startCollector, loadTask, type Collector, type CollectorOptions } from "./server.js";
export { ReportStore, coarseHour, type StoredTask, type Release, type BatchRow, type Prio3Row, type Prio3State } from "./store.js";
export { LeaderAggregator, HelperAggregator, type PeerConfig, type LeaderOptions, type FlushResult } from "./aggregation.js";
export { verifyKey, prepareReport, PreparePool } from "./prepare.js";
export { HttpError, newToken, tokenHash, TokenBucket } from "./http.js";
export { estimates, type QuestionEstimate, type CategoryEstimate } from "./estimates.js";
export { combineRelease, type CombinedRelease, type CombinedAggregate } from "./combine.js";
