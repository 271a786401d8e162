#!/usr/bin/env node
/**
 * protoc-gen-sdk-index: a buf/protoc plugin that writes the index files of @hello/sdk beside
 * the code of protoc-gen-es, so that a new proto package is exported with no hand edit:
 *
 * - `<dir>/index.ts` for each proto package directory: `export * from "./<file>_pb.js";` for
 *   every file of the package (the `@hello/sdk/<dir>` subpath);
 * - `index.ts` at the root: each of those as a namespace named after its directory
 *   (`hello/v1` → `hello_v1`), so that two packages with equal message names never clash.
 *
 * Plain JavaScript run by node, so a fresh clone needs no build step. Registered in
 * buf.gen.yaml with the same `out`, `target` and `import_extension` as protoc-gen-es:
 *
 * @example
 * plugins:
 *   - local: ["node", "scripts/protoc-gen-sdk-index.mjs"]
 *     out: packages/sdk/src/gen
 *     opt: [target=ts, import_extension=js]
 */
import { createEcmaScriptPlugin, runNodeJs, safeIdentifier } from "@bufbuild/protoplugin";

const PLUGIN_NAME = "protoc-gen-sdk-index";

/**
 * The plugin. Its version is not printed: the header names this script, which lives in the
 * repository it generates for.
 */
const protocGenSdkIndex = createEcmaScriptPlugin({
  name: PLUGIN_NAME,
  version: "1",
  generateTs(schema) {
    if (schema.options.jsImportStyle !== "module") {
      throw new Error("js_import_style=legacy_commonjs is not supported: the index files re-export ECMAScript modules");
    }
    const extension = { js: ".js", ts: ".ts", none: "" }[schema.options.importExtension];
    const packages = packageDirectories(schema.files);

    for (const pkg of packages) {
      const f = schema.generateFile(`${pkg.directory}/index.ts`);
      f.print(header(`package ${pkg.protoPackage} (${pkg.files.map((file) => `${file.name}.proto`).join(", ")})`));
      for (const file of pkg.files) {
        // protoc-gen-es names its output after the proto file: hello/v1/hello.proto → hello/v1/hello_pb.ts.
        f.print(`export * from "./${baseName(file.name)}_pb${extension}";`);
      }
    }

    if (packages.length > 0) {
      const f = schema.generateFile("index.ts");
      f.print(header(`packages ${packages.map((pkg) => pkg.protoPackage).join(", ")}`));
      for (const pkg of packages) {
        f.print(`/** Proto package \`${pkg.protoPackage}\`: the exports of \`./${pkg.directory}\`. */`);
        f.print(`export * as ${pkg.namespace} from "./${pkg.directory}/index${extension}";`);
      }
    }
  },
});

/**
 * @typedef {import("@bufbuild/protobuf").DescFile} DescFile
 * @typedef {{ directory: string, protoPackage: string, namespace: string, files: DescFile[] }} PackageDirectory
 */

/**
 * Groups the files to generate by directory, sorted so that the output never depends on the
 * order of the request. Throws where one index could not keep names apart: a directory with
 * two proto packages, two directories with the same namespace name, a file with no directory.
 * @param {readonly DescFile[]} files
 * @returns {PackageDirectory[]}
 */
function packageDirectories(files) {
  /** @type {Map<string, PackageDirectory>} */
  const byDirectory = new Map();
  for (const file of files) {
    const slash = file.name.lastIndexOf("/");
    if (slash < 0) {
      throw new Error(`${file.name}.proto has no directory: put each proto package in its own directory (e.g. foo/v1/foo.proto)`);
    }
    const directory = file.name.slice(0, slash);
    const found = byDirectory.get(directory);
    if (found === undefined) {
      byDirectory.set(directory, { directory, protoPackage: file.proto.package, namespace: namespaceOf(directory), files: [file] });
    } else if (found.protoPackage !== file.proto.package) {
      throw new Error(
        `${directory}/ holds two proto packages, "${found.protoPackage}" and "${file.proto.package}": one index would mix their names; ` +
          "keep one package per directory (buf lint rule PACKAGE_DIRECTORY_MATCH)",
      );
    } else {
      found.files.push(file);
    }
  }

  const packages = [...byDirectory.values()].sort((a, b) => compare(a.directory, b.directory));
  /** @type {Map<string, string>} */
  const directoryOfNamespace = new Map();
  for (const pkg of packages) {
    pkg.files.sort((a, b) => compare(a.name, b.name));
    const other = directoryOfNamespace.get(pkg.namespace);
    if (other !== undefined) {
      throw new Error(`${other}/ and ${pkg.directory}/ would both be exported as the namespace "${pkg.namespace}": rename one directory`);
    }
    directoryOfNamespace.set(pkg.namespace, pkg.directory);
  }
  return packages;
}

/**
 * The namespace name of a package directory: its path segments joined by "_" (`grpc/health/v1`
 * → `grpc_health_v1`), any other character that cannot be in an identifier replaced by "_".
 * @param {string} directory
 * @returns {string}
 */
function namespaceOf(directory) {
  const name = directory.replace(/[^A-Za-z0-9_$]/g, "_");
  return safeIdentifier(/^[0-9]/.test(name) ? `_${name}` : name);
}

/**
 * The first lines of every generated file, in the form protoc-gen-es uses.
 * @param {string} source what the file is generated from
 * @returns {string}
 */
function header(source) {
  return `// @generated by ${PLUGIN_NAME} (scripts/${PLUGIN_NAME}.mjs)\n// @generated from ${source}\n/* eslint-disable */\n`;
}

/**
 * @param {string} path
 * @returns {string}
 */
function baseName(path) {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * Orders by UTF-16 code units, the same on every machine (localeCompare depends on the locale).
 * @param {string} a
 * @param {string} b
 * @returns {number}
 */
function compare(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

runNodeJs(protocGenSdkIndex);
