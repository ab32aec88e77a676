// Run by tests/runtimes/stray-errors.test.ts: throws a stray error of the kind named in argv
// outside any request, then says whether the process is still serving.
import { survivingStrayDriverErrors } from "../../services/settings.ts";

survivingStrayDriverErrors((entry) => console.log(JSON.stringify(entry)));
const kind = process.argv[2];
const connectionClosed = () => Object.assign(new Error("write CONNECTION_CLOSED 127.0.0.1:5432"), { code: "CONNECTION_CLOSED" });
setTimeout(() => {
  if (kind === "connection") throw connectionClosed();
  if (kind === "connection-rejection") void Promise.reject(connectionClosed());
  if (kind === "bug") throw new TypeError("Cannot read properties of null (reading 'write')");
}, 10);
setTimeout(() => {
  console.log("still serving");
  process.exit(0);
}, 200);
