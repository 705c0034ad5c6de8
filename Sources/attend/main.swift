import Foundation

/// A subcommand: `validate`-then-`run` in one, reading its options from `arguments`.
protocol Subcommand {
    static var name: String { get }
    static var summary: String { get }
    static var usage: String { get }
    static func run(_ arguments: inout Arguments) throws
}

let subcommands: [any Subcommand.Type] = [TrainCommand.self, TranslateCommand.self, AlignCommand.self, EvalCommand.self, ReportCommand.self,
                                           BPECommand.self, BenchCommand.self]

/// The command list: on stdout when asked for, on stderr after a mistake.
func printUsage(toStandardOutput: Bool = false) {
    var text = "usage: attend <command> [options]\n\ncommands:\n"
    for command in subcommands {
        text += "  " + command.name.padding(toLength: 10, withPad: " ", startingAt: 0) + command.summary + "\n"
    }
    text += "\nRun 'attend <command> --help' for a command's options.\n"
    (toStandardOutput ? FileHandle.standardOutput : FileHandle.standardError).write(Data(text.utf8))
}

func standardError(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

var arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, !name.hasPrefix("-") else {
    let asked = arguments.contains("--help") || arguments.contains("-h")
    if let option = arguments.first, !asked { standardError("error: unknown option '\(option)': a command comes first") }
    printUsage(toStandardOutput: asked)
    exit(arguments.isEmpty || asked ? 0 : 2)
}
guard let command = subcommands.first(where: { $0.name == name }) else {
    standardError("error: unknown command '\(name)'")
    printUsage()
    exit(2)
}
var options = Arguments(Array(arguments.dropFirst()))
if options.wantsHelp {
    print(command.usage)
    exit(0)
}
do {
    try command.run(&options)
} catch CommandError.usage(let message) {
    standardError("error: \(message)")
    standardError(command.usage)
    exit(2)
} catch CommandError.failure(let message) {
    standardError("error: \(message)")
    exit(1)
} catch {
    standardError("error: \(error)")
    exit(1)
}
