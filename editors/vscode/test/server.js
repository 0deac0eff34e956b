// Drives the real `weir lsp` with the Language Server Protocol library VS Code's client is
// built on (vscode-languageserver-protocol, installed with vscode-languageclient), started
// with the very command the extension uses (server.js). What it shows: the server's framing,
// handshake and replies are what that library expects. What it cannot show: VS Code itself
// (the editor cannot be installed here), so extension.js's activation is type-checked, not run.
//
// Usage: node test/server.js [path to weir] (default: $WEIR, else `weir` on PATH)

const assert = require("assert");
const fs = require("fs");
const path = require("path");
const { spawn, execFileSync } = require("child_process");
const rpc = require("vscode-languageserver-protocol/node");
const { serverCommand, explainArgs } = require("../server");

const weir = process.argv[2] || process.env.WEIR || "weir";
const repo = process.env.WEIR_REPO || path.resolve(__dirname, "..", "..", "..");
const WAIT_MS = 30000;

/**
 * A promise that fails after WAIT_MS.
 * @template T
 * @param {Promise<T>} promise
 * @param {string} what
 * @returns {Promise<T>}
 */
function bounded(promise, what) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${WAIT_MS} ms`)), WAIT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function main() {
  const { command, args } = serverCommand(weir);
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
  const connection = rpc.createProtocolConnection(
    new rpc.StreamMessageReader(child.stdout),
    new rpc.StreamMessageWriter(child.stdin)
  );
  /** @type {Map<string, (params: rpc.PublishDiagnosticsParams) => void>} */
  const waiting = new Map();
  connection.onNotification(rpc.PublishDiagnosticsNotification.type, (params) => {
    const resolve = waiting.get(params.uri);
    if (resolve) {
      waiting.delete(params.uri);
      resolve(params);
    }
  });
  connection.listen();
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    const init = await bounded(
      connection.sendRequest(rpc.InitializeRequest.type, {
        processId: process.pid,
        rootUri: null,
        capabilities: {},
        workspaceFolders: null,
      }),
      "reply to initialize"
    );
    assert.strictEqual(init.serverInfo && init.serverInfo.name, "weir");
    assert.ok(init.capabilities.hoverProvider, "hover");
    assert.ok(init.capabilities.codeActionProvider, "code actions");
    await connection.sendNotification(rpc.InitializedNotification.type, {});

    const file = path.join(repo, "examples", "loop_demo.weir");
    const text = fs.readFileSync(file, "utf8");
    const uri = "file://" + file;
    const published = new Promise((resolve) => waiting.set(uri, resolve));
    await connection.sendNotification(rpc.DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "weir", version: 1, text },
    });
    /** @type {rpc.PublishDiagnosticsParams} */
    const diagnostics = /** @type {any} */ (await bounded(published, "diagnostics"));
    const loop = diagnostics.diagnostics.find((d) => d.code === "E0301");
    assert.ok(loop, "E0301 in " + JSON.stringify(diagnostics));
    assert.strictEqual(loop.codeDescription && loop.codeDescription.href, "weir-explain:E0301");

    const line = text.split("\n").findIndex((l) => l.includes("create event in Outlook"));
    const hover = await bounded(
      connection.sendRequest(rpc.HoverRequest.type, {
        textDocument: { uri },
        position: { line, character: text.split("\n")[line].indexOf("Outlook") + 1 },
      }),
      "hover"
    );
    assert.ok(JSON.stringify(hover).includes("app Outlook"), JSON.stringify(hover));

    const actions = await bounded(
      connection.sendRequest(rpc.CodeActionRequest.type, {
        textDocument: { uri },
        range: loop.range,
        context: { diagnostics: [loop] },
      }),
      "code actions"
    );
    assert.ok(
      (actions || []).some((a) => a.title.includes("unless origin == keragon")),
      JSON.stringify(actions)
    );

    const graph = await bounded(
      connection.sendRequest(rpc.ExecuteCommandRequest.type, {
        command: "weir.graph",
        arguments: [uri, "mermaid"],
      }),
      "graph"
    );
    assert.ok(String(graph).startsWith("flowchart"), String(graph));

    // The page a diagnostic's code links to, as the extension fetches it.
    const page = execFileSync(weir, explainArgs("E0301"), { encoding: "utf8" });
    assert.ok(page.includes("E0301"), page);

    await bounded(connection.sendRequest(rpc.ShutdownRequest.type), "reply to shutdown");
    await connection.sendNotification(rpc.ExitNotification.type);
    const code = await bounded(exited, "exit");
    assert.strictEqual(code, 0, "weir lsp exits with 0 after shutdown and exit");
    console.log("weir lsp answered vscode-languageserver-protocol: initialize, diagnostics, hover, code actions, graph, shutdown");
  } finally {
    connection.dispose();
    child.kill();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
