// An app's own worker file: what a developer writes to bring their own worker.
import { serveVeil } from "@veil/web/worker";

serveVeil();
