import { Argument, Command } from "@commander-js/extra-typings";
import type { CliIo } from "./cli-io.js";

/** The shells `hello completion` writes scripts for. */
export const COMPLETION_SHELLS = ["bash", "zsh"] as const;

type Shell = (typeof COMPLETION_SHELLS)[number];

/** What completion reads of an option (commander's `Option`). */
interface OptionLike {
  readonly long?: string | undefined;
  readonly short?: string | undefined;
  readonly description: string;
  readonly required: boolean;
  readonly optional: boolean;
  readonly argChoices?: string[] | undefined;
}

/** What completion reads of the program (commander's `Command`): its options and subcommands. */
export interface ProgramLike {
  readonly options: readonly OptionLike[];
  readonly commands: readonly { name(): string; description(): string; readonly options: readonly OptionLike[] }[];
}

/** What completion needs of a command: its name, description and options. */
interface CommandSpec {
  readonly name: string;
  readonly description: string;
  readonly options: readonly OptionSpec[];
}

interface OptionSpec {
  /** "--url", and "-H" when it has a short flag. */
  readonly flags: readonly string[];
  readonly description: string;
  readonly takesValue: boolean;
  readonly choices: readonly string[] | undefined;
}

/**
 * `hello completion bash|zsh`: prints a completion script for the shell, derived from the
 * program's commands and options (so it cannot fall behind them): subcommands, their
 * options and the global ones, and the values of options with a fixed set (`--protocol`).
 */
export function createCompletionCommand(program: ProgramLike, io: Pick<CliIo, "stdout">) {
  return new Command("completion")
    .description("print a shell completion script for bash or zsh")
    .addArgument(new Argument("<shell>", "the shell").choices(COMPLETION_SHELLS))
    .addHelpText(
      "after",
      `
Install:
  bash: echo 'source <(hello completion bash)' >> ~/.bashrc
  zsh:  echo 'source <(hello completion zsh)' >> ~/.zshrc   (after compinit)`,
    )
    .action((shell) => {
      io.stdout.write(completionScript(shell as Shell, program));
    });
}

/** The completion script of `program` for `shell`. */
export function completionScript(shell: Shell, program: ProgramLike): string {
  const global = program.options.map(optionSpec);
  const commands: CommandSpec[] = program.commands.map((c) => ({
    name: c.name(),
    description: c.description(),
    options: c.options.map(optionSpec),
  }));
  return shell === "bash" ? bashScript(global, commands) : zshScript(global, commands);
}

function optionSpec(option: OptionLike): OptionSpec {
  return {
    flags: [option.long, option.short].filter((f): f is string => f !== undefined),
    description: option.description,
    takesValue: option.required || option.optional,
    choices: option.argChoices,
  };
}

const flagsOf = (options: readonly OptionSpec[]) => options.flatMap((o) => o.flags).join(" ");

function bashScript(global: readonly OptionSpec[], commands: readonly CommandSpec[]): string {
  const all = [...global, ...commands.flatMap((c) => c.options)];
  const valued = all.filter((o) => o.takesValue);
  const choiceCases = all
    .filter((o) => o.choices !== undefined)
    .map((o) => `    ${o.flags.join("|")}) COMPREPLY=($(compgen -W "${o.choices!.join(" ")}" -- "$cur")); return ;;`);
  const freeValue = valued.filter((o) => o.choices === undefined).flatMap((o) => o.flags);
  const commandCases = commands.map((c) => `    ${c.name}) opts="${flagsOf(c.options)}" ;;`);
  return `# bash completion for hello: source <(hello completion bash)
_hello() {
  local cur prev cmd="" i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
${choiceCases.join("\n")}
${freeValue.length > 0 ? `    ${freeValue.join("|")}) return ;;\n` : ""}  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    case " ${commands.map((c) => c.name).join(" ")} " in
      *" \${COMP_WORDS[i]} "*) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  local opts=""
  case "$cmd" in
${commandCases.join("\n")}
    "")
      if [[ "$cur" != -* ]]; then
        COMPREPLY=($(compgen -W "${commands.map((c) => c.name).join(" ")}" -- "$cur"))
        return
      fi ;;
  esac
  if [[ "$cmd" == completion && "$cur" != -* ]]; then
    COMPREPLY=($(compgen -W "${COMPLETION_SHELLS.join(" ")}" -- "$cur"))
    return
  fi
  COMPREPLY=($(compgen -W "$opts ${flagsOf(global)} --help" -- "$cur"))
}
complete -o default -F _hello hello
`;
}

/** A zsh single-quoted word. */
function zshQuote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

/** Text inside an `_arguments` description (`[…]`) or a `_describe` entry, its special characters escaped. */
function zshEscape(text: string): string {
  return text.replace(/([[\]:\\])/g, "\\$1");
}

/** An option's `_arguments` specs: one per flag, each excluding the other spelling. */
function zshOption(option: OptionSpec): string[] {
  const value = option.takesValue ? `:value:${option.choices ? `(${option.choices.join(" ")})` : " "}` : "";
  const exclusive = option.flags.length > 1 ? `(${option.flags.join(" ")})` : "";
  return option.flags.map((flag) => zshQuote(`${exclusive}${flag}[${zshEscape(option.description)}]${value}`));
}

function zshScript(global: readonly OptionSpec[], commands: readonly CommandSpec[]): string {
  const globalSpecs = global.flatMap(zshOption);
  const commandList = commands.map((c) => `    ${zshQuote(`${c.name}:${zshEscape(c.description)}`)}`);
  const commandCases = commands.map((c) => {
    const specs = [...c.options.flatMap(zshOption), ...(c.name === "completion" ? [`'1:shell:(${COMPLETION_SHELLS.join(" ")})'`] : [])];
    return `      ${c.name}) _arguments -s $global ${specs.join(" ")} '*::argument:_default' ;;`;
  });
  return `#compdef hello
# zsh completion for hello: source <(hello completion zsh) (after compinit)
_hello() {
  local -a global commands
  global=(${globalSpecs.join(" ")} '--help[display help]')
  commands=(
${commandList.join("\n")}
  )
  local curcontext="$curcontext" state line
  _arguments -C -s $global '1:command:->command' '*::argument:->argument'
  case $state in
    command) _describe -t commands 'hello command' commands ;;
    argument)
      case $words[1] in
${commandCases.join("\n")}
      esac ;;
  esac
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _hello "$@"
else
  compdef _hello hello
fi
`;
}
