// @veil/collector: the analyst's side. Node only.
export { startCollector, holdTask, loadTask, type Collector, type CollectorOptions } from "./server.js";
export {
  ReportStore,
  StoreQueries,
  coarseHour,
  type IntakeResult,
  type StoredTask,
  type Release,
  type BatchRow,
  type Prio3Row,
  type Prio3State,
} from "./store.js";
export { LeaderAggregator, HelperAggregator, type PeerConfig, type LeaderOptions, type FlushResult } from "./aggregation.js";
export { verifyKey, prepareReport, PreparePool } from "./prepare.js";
export { HttpError, newToken, tokenHash, TokenBucket } from "./http.js";
export { estimates, type QuestionEstimate, type CategoryEstimate } from "./estimates.js";
export { combineRelease, type CombinedRelease, type CombinedAggregate } from "./combine.js";
export { StoreError, StoreUnavailableError, type Driver, type Sql, type Dialect } from "./db/sql.js";
export { SCHEMA_VERSION } from "./db/migrations.js";
