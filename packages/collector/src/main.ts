#!/usr/bin/env node
// veil-collector serve --db FILE [--port N] [--allow-origin URL]... [--name NAME]
// veil-collector combine --sum NAME --epsilon X URL URL [URL...]
import { parseArgs } from "node:util";
import { startCollector } from "./server.js";
import { combineSum } from "./combine.js";

const USAGE = `usage:
  veil-collector serve --db FILE [--port N] [--allow-origin URL]... [--name NAME]
  veil-collector combine --sum NAME --epsilon X URL URL [URL...]`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "serve") {
      const { values } = parseArgs({
        args: rest,
        options: { db: { type: "string" }, port: { type: "string" }, "allow-origin": { type: "string", multiple: true }, name: { type: "string" } },
      });
      if (!values.db) throw new Error("--db FILE is required.");
      const port = values.port === undefined ? 8787 : Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error("--port must be an integer from 0 to 65535.");
      const c = await startCollector({ database: values.db, port, allowOrigins: values["allow-origin"] ?? [], name: values.name ?? `collector on ${port}` });
      console.log(`veil-collector listening on ${c.url} (database ${values.db})`);
      const stop = () => void c.close().then(() => process.exit(0));
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
      return -1; // keep running
    }
    if (command === "combine") {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { sum: { type: "string" }, epsilon: { type: "string" } } });
      const epsilon = Number(values.epsilon);
      if (!values.sum || !(epsilon > 0)) throw new Error("--sum NAME and --epsilon X (positive) are required.");
      const r = await combineSum(positionals, values.sum, epsilon);
      console.log(JSON.stringify(r, null, 2));
      return 0;
    }
    console.error(USAGE);
    return 2;
  } catch (e) {
    console.error(`veil-collector: ${(e as Error).message}`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
