// Run a compiled Pulumi program (CommonJS) as a Node.js Automation API inline program, under the
// real Pulumi CLI on PATH: `pulumi up` on an existing stack, then print the stack's outputs as one
// line of JSON. The Automation API serves the program from its own in-process language runtime,
// so no pulumi-language-nodejs is needed (docs/e2e.md, "TypeScript").
//
// Usage: node inline-up.js WORK_DIR STACK PROGRAM_JS
// WORK_DIR holds Pulumi.yaml (its name is the project's) and node_modules with @pulumi/pulumi;
// the backend and passphrase come from PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE.
"use strict";
const fs = require("fs");
const path = require("path");
const { LocalWorkspace } = require("@pulumi/pulumi/automation");

async function main() {
    const [workDir, stackName, programJs] = process.argv.slice(2);
    if (!workDir || !stackName || !programJs) {
        console.error("usage: node inline-up.js WORK_DIR STACK PROGRAM_JS");
        process.exit(2);
    }
    const project = /^name:\s*(\S+)/m.exec(fs.readFileSync(path.join(workDir, "Pulumi.yaml"), "utf8"));
    if (!project) {
        throw new Error(`${workDir}/Pulumi.yaml has no name`);
    }
    // A module's exports are its stack outputs, as the Node.js language host makes them.
    const program = async () => ({ ...require(path.resolve(programJs)) });
    const stack = await LocalWorkspace.selectStack(
        { stackName, projectName: project[1], program },
        { workDir },
    );
    const result = await stack.up({ onOutput: (text) => process.stderr.write(text), color: "never" });
    const outputs = {};
    for (const [name, out] of Object.entries(result.outputs)) {
        outputs[name] = out.secret ? "[secret]" : out.value;
    }
    process.stdout.write(JSON.stringify({ result: result.summary.result, outputs }) + "\n");
}

main().catch((err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
});
