// How the extension starts the language server: `weir lsp` over standard input and output.
// Kept apart from extension.js, which needs VS Code, so the check in `check` runs this very
// command outside VS Code.

/**
 * The server options vscode-languageclient takes: the program and its arguments.
 * @param {string} weir the weir program (the setting `weir.path`, or `weir` on PATH)
 * @returns {{ command: string, args: string[] }}
 */
function serverCommand(weir) {
  return { command: weir || "weir", args: ["lsp"] };
}

/** The document selector: every document VS Code calls `weir`, saved or not. */
const documentSelector = [{ language: "weir" }];

/**
 * The code a `weir-explain:CODE` link names, as the extension passes it to `weir explain`.
 * @param {string} path the link's path (`E0301`)
 * @returns {string[]}
 */
function explainArgs(path) {
  return ["explain", path];
}

module.exports = { serverCommand, documentSelector, explainArgs };
