/// A failure the CLI reports: a usage error exits 2 and prints the usage, any other exits 1.
enum CommandError: Error {
    case usage(String)
    case failure(String)
}

/// A small `--name value` / `--flag` parser, shaped like swift-argument-parser's commands
/// (which the project may not depend on): a command reads the options it knows, then
/// `finish()` rejects anything left over.
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
