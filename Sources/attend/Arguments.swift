import Seq2Seq

/// A failure the CLI reports: a usage error exits 2 and prints the usage, any other exits 1.
enum CommandError: Error {
    case usage(String)
    case failure(String)
}

/// A small `--name value` / `--flag` parser, shaped like swift-argument-parser's commands
/// (which the project may not depend on): a command reads the options it knows, then
/// `finish()` rejects anything left over. Option tables (`Option`, declared beside the settings
/// they fill) are read with `read(_:into:)` and listed with `OptionHelp`.
struct Arguments {
    private var remaining: [String]

    init(_ arguments: [String]) { remaining = arguments }

    /// Whether `--help` or `-h` was given.
    var wantsHelp: Bool { remaining.contains("--help") || remaining.contains("-h") }

    /// Removes `--name` and returns whether it was present.
    mutating func flag(_ name: String) -> Bool {
        guard let index = remaining.firstIndex(of: "--\(name)") else { return false }
        remaining.remove(at: index)
        return true
    }

    /// Removes `--name VALUE` and returns `VALUE`, or `nil` when the option is absent.
    mutating func string(_ name: String) throws -> String? {
        guard let index = remaining.firstIndex(of: "--\(name)") else { return nil }
        guard index + 1 < remaining.count, !remaining[index + 1].hasPrefix("--") else {
            throw CommandError.usage("--\(name) needs a value")
        }
        let value = remaining[index + 1]
        remaining.removeSubrange(index...(index + 1))
        return value
    }

    mutating func int(_ name: String) throws -> Int? {
        guard let text = try string(name) else { return nil }
        guard let value = Int(text) else { throw CommandError.usage("--\(name) expects an integer, got '\(text)'") }
        return value
    }

    mutating func double(_ name: String) throws -> Double? {
        guard let text = try string(name) else { return nil }
        guard let value = Double(text) else { throw CommandError.usage("--\(name) expects a number, got '\(text)'") }
        return value
    }

    /// Removes and returns the next argument that is not an option, if any.
    mutating func positional() -> String? {
        guard let index = remaining.firstIndex(where: { !$0.hasPrefix("-") }) else { return nil }
        return remaining.remove(at: index)
    }

    /// Fails on any argument no option consumed.
    func finish() throws {
        if let extra = remaining.first { throw CommandError.usage("unexpected argument '\(extra)'") }
    }
}

extension Arguments {
    /// Reads each of `options` that is present into `settings`, in the table's order (not the
    /// command line's), so that an option may build on one listed before it.
    mutating func read<Settings>(_ options: [Option<Settings>], into settings: inout Settings) throws {
        for option in options {
            let given = option.valueIsOptional ? optionalValue(option.name) : try value(option.name, isFlag: option.isFlag)
            if let text = given {
                do { try option.apply(&settings, text) } catch let error as OptionError { throw CommandError.usage("\(error)") }
            }
        }
    }

    /// The text of `--name VALUE`, or `""` for a present flag; `nil` when absent.
    mutating func value(_ name: String, isFlag: Bool) throws -> String? {
        isFlag ? (flag(name) ? "" : nil) : try string(name)
    }

    /// Removes `--name [VALUE]` and returns `VALUE`, or `""` when the next argument is an option
    /// or there is none; `nil` when the option is absent.
    mutating func optionalValue(_ name: String) -> String? {
        guard let index = remaining.firstIndex(of: "--\(name)") else { return nil }
        remaining.remove(at: index)
        guard index < remaining.count, !remaining[index].hasPrefix("-") else { return "" }
        return remaining.remove(at: index)
    }

    /// The first argument no option consumed, if any.
    var firstUnread: String? { remaining.first }
}

/// The help of a table of options: one line each, `--name VALUE (default)` and its help (on
/// the next line when the entry is too long to leave room for it).
enum OptionHelp {
    static func lines(_ options: [OptionDescription], indent: Int = 2) -> String {
        let entries = options.map { option in
            "--\(option.name)" + (option.valueName.map { " \($0)" } ?? "") + (option.defaultText.map { " (\($0))" } ?? "")
        }
        let column = min(32, (entries.map(\.count).max() ?? 0) + 2)
        let margin = String(repeating: " ", count: indent)
        return zip(entries, options).map { entry, option in
            let help = entry.count + 2 <= column ? String(repeating: " ", count: column - entry.count) + option.help
                : "\n" + margin + String(repeating: " ", count: column) + option.help
            return margin + entry + help
        }.joined(separator: "\n")
    }

    /// The help of `options` with the defaults of `defaults`.
    static func lines<Settings>(_ options: [Option<Settings>], defaults: Settings, indent: Int = 2) -> String {
        lines(options.map { $0.description(defaults: defaults) }, indent: indent)
    }
}
