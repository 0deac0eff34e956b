// The weir extension: starts `weir lsp` for .weir files, opens the page of a diagnostic code
// (`weir-explain:E0301`, the link the server puts on each code) as `weir explain` prints it,
// and shows the flow graph of the current file.

const vscode = require("vscode");
const { execFile } = require("child_process");
const { LanguageClient } = require("vscode-languageclient/node");
const { serverCommand, documentSelector, explainArgs } = require("./server");

/** @type {LanguageClient | undefined} */
let client;

function weirPath() {
  return vscode.workspace.getConfiguration("weir").get("path") || "weir";
}

/** @param {vscode.ExtensionContext} context */
function activate(context) {
  client = new LanguageClient("weir", "weir", serverCommand(weirPath()), {
    documentSelector,
    // Files that open files `use` are read from the disk: tell the server when they change.
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.weir") },
  });
  client.start();

  // A diagnostic's code links to `weir-explain:CODE`: show the page `weir explain` prints.
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider("weir-explain", {
      provideTextDocumentContent(uri) {
        return new Promise((resolve) => {
          execFile(weirPath(), explainArgs(uri.path), (error, stdout, stderr) => {
            resolve(error ? stderr || String(error) : stdout);
          });
        });
      },
    })
  );

  // The server's `weir.graph` command returns Mermaid text; show it in a Markdown document.
  context.subscriptions.push(
    vscode.commands.registerCommand("weir.showGraph", async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.document.languageId !== "weir") {
        vscode.window.showInformationMessage("Open a .weir file to see its flow graph.");
        return;
      }
      if (!client) {
        vscode.window.showErrorMessage("The weir language server is not running.");
        return;
      }
      try {
        const graph = await client.sendRequest("workspace/executeCommand", {
          command: "weir.graph",
          arguments: [editor.document.uri.toString(), "mermaid"],
        });
        const doc = await vscode.workspace.openTextDocument({
          language: "markdown",
          content: "```mermaid\n" + graph + "```\n",
        });
        vscode.window.showTextDocument(doc, vscode.ViewColumn.Beside);
      } catch (error) {
        vscode.window.showErrorMessage(error instanceof Error ? error.message : String(error));
      }
    })
  );
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
