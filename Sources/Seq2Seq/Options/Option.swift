import Foundation

/// A setting a user can give by name, described once: its name, the value it takes, its help,
/// the default it shows, and how a given value changes the settings it belongs to.
///
/// Why a model library declares these: an architecture's options (`--hidden-dim`, `--heads`)
/// must sit next to the configuration they fill, so that adding an architecture adds its
/// options in its own files and a default is written in one place (the configuration's
/// property initialiser), from which the help is generated. The type is nevertheless neutral:
/// Seq2Seq never reads a command line, nor prints anything. It knows a name and a text value;
/// the CLI decides that names are spelled `--name`, finds the values in `argv`, lists the
/// options in `--help`, and turns an `OptionError` into a usage error. (A configuration file
/// or a GUI could drive the same tables.)
public struct Option<Settings> {
    /// `hidden-dim`: the CLI spells it `--hidden-dim`.
    public let name: String
    /// What the value looks like in the help (`N`, `P`, `pre|post`); `nil` for a flag, which
    /// takes no value.
    public let valueName: String?
    /// Whether the value may be left out (`--guided-alignment` or `--guided-alignment FILE`):
    /// the option then gets the empty text.
    public let valueIsOptional: Bool
    /// One line for the help.
    public let help: String
    /// The default as the help shows it, read off the default settings; `nil` when there is
    /// nothing to show (an unset optional, a flag).
    public let defaultText: (Settings) -> String?
    /// Sets the value (a flag's is ignored), or throws `OptionError.invalidValue`.
    public let apply: (inout Settings, String) throws -> Void

    public init(_ name: String, valueName: String?, valueIsOptional: Bool = false, help: String,
                defaultText: @escaping (Settings) -> String?, apply: @escaping (inout Settings, String) throws -> Void) {
        self.name = name
        self.valueName = valueName
        self.valueIsOptional = valueIsOptional
        self.help = help
        self.defaultText = defaultText
        self.apply = apply
    }

    public var isFlag: Bool { valueName == nil }

    /// The same option on a larger settings type that holds these settings at `path`: how an
    /// option group shared by several commands is declared once and used by each.
    public func lifted<Root>(_ path: WritableKeyPath<Root, Settings>) -> Option<Root> {
        let (apply, defaultText) = (self.apply, self.defaultText)
        return Option<Root>(name, valueName: valueName, valueIsOptional: valueIsOptional, help: help,
                            defaultText: { defaultText($0[keyPath: path]) },
                            apply: { root, text in try apply(&root[keyPath: path], text) })
    }

    /// This option's help entry, with the default read off `defaults`.
    public func description(defaults: Settings) -> OptionDescription {
        OptionDescription(name: name, valueName: valueName, defaultText: defaultText(defaults), help: help)
    }
}

/// What the help shows of an option, whatever settings it belongs to.
public struct OptionDescription: Equatable, Sendable {
    public var name: String
    public var valueName: String?
    public var defaultText: String?
    public var help: String

    public init(name: String, valueName: String?, defaultText: String?, help: String) {
        self.name = name
        self.valueName = valueName
        self.defaultText = defaultText
        self.help = help
    }
}

/// A value an option cannot take; `description` is one line (`--layers expects an integer, got 'x'`).
public enum OptionError: Error, Equatable, CustomStringConvertible {
    case invalidValue(option: String, message: String)

    public var description: String {
        switch self {
        case let .invalidValue(option, message): "--\(option) \(message)"
        }
    }
}

/// A value an architecture would rather train with than the general default (`lr` `0.0005`),
/// given as the option's name and text so that it is parsed and shown like a user's.
public struct OptionSetting: Equatable, Sendable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

// MARK: - The kinds of value

extension Option {
    /// An integer.
    public static func integer(_ name: String, _ path: WritableKeyPath<Settings, Int>, valueName: String = "N",
                               help: String) -> Option {
        Option(name, valueName: valueName, help: help, defaultText: { String($0[keyPath: path]) }) { settings, text in
            settings[keyPath: path] = try parseInteger(name, text)
        }
    }

    /// An integer that may be unset; `defaultText` is shown while it is.
    public static func integer(_ name: String, _ path: WritableKeyPath<Settings, Int?>, valueName: String = "N",
                               unset: String? = nil, help: String) -> Option {
        Option(name, valueName: valueName, help: help, defaultText: { $0[keyPath: path].map(String.init) ?? unset }) { settings, text in
            settings[keyPath: path] = try parseInteger(name, text)
        }
    }

    /// A floating-point number.
    public static func number<Value: BinaryFloatingPoint>(
        _ name: String, _ path: WritableKeyPath<Settings, Value>, valueName: String = "X", help: String
    ) -> Option {
        Option(name, valueName: valueName, help: help, defaultText: { formatNumber($0[keyPath: path]) }) { settings, text in
            settings[keyPath: path] = try parseNumber(name, text)
        }
    }

    /// A number that may be unset.
    public static func number<Value: BinaryFloatingPoint>(
        _ name: String, _ path: WritableKeyPath<Settings, Value?>, valueName: String = "X", unset: String? = nil, help: String
    ) -> Option {
        Option(name, valueName: valueName, help: help, defaultText: { $0[keyPath: path].map(formatNumber) ?? unset }) { settings, text in
            settings[keyPath: path] = try parseNumber(name, text)
        }
    }

    /// Text, taken as it is (an empty default is not shown).
    public static func text(_ name: String, _ path: WritableKeyPath<Settings, String>, valueName: String, help: String) -> Option {
        Option(name, valueName: valueName, help: help, defaultText: { $0[keyPath: path].isEmpty ? nil : $0[keyPath: path] }) { settings, text in
            settings[keyPath: path] = text
        }
    }

    /// Text that may be unset (a file name).
    public static func text(_ name: String, _ path: WritableKeyPath<Settings, String?>, valueName: String, unset: String? = nil,
                            help: String) -> Option {
        Option(name, valueName: valueName, help: help, defaultText: { $0[keyPath: path] ?? unset }) { settings, text in
            settings[keyPath: path] = text
        }
    }

    /// One of `Choice`'s raw values; the help lists them as the value (`pre|post`).
    public static func choice<Choice: RawRepresentable & CaseIterable>(
        _ name: String, _ path: WritableKeyPath<Settings, Choice>, help: String
    ) -> Option where Choice.RawValue == String {
        let names = Choice.allCases.map(\.rawValue)
        return Option(name, valueName: names.joined(separator: "|"), help: help, defaultText: { $0[keyPath: path].rawValue }) { settings, text in
            guard let chosen = Choice(rawValue: text) else {
                throw OptionError.invalidValue(option: name, message: "must be \(choiceList(names)), not '\(text)'")
            }
            settings[keyPath: path] = chosen
        }
    }

    /// Text that may be unset, given with or without a value: `--name` alone gives the empty
    /// text (the caller resolves what it means), `--name TEXT` the text.
    public static func optionalText(_ name: String, _ path: WritableKeyPath<Settings, String?>, valueName: String,
                                    help: String) -> Option {
        Option(name, valueName: "[\(valueName)]", valueIsOptional: true, help: help, defaultText: { _ in nil }) { settings, text in
            settings[keyPath: path] = text
        }
    }

    /// A flag: its presence sets `path` to `value`.
    public static func flag(_ name: String, _ path: WritableKeyPath<Settings, Bool>, setting value: Bool = true, help: String) -> Option {
        Option(name, valueName: nil, help: help, defaultText: { _ in nil }) { settings, _ in settings[keyPath: path] = value }
    }
}

/// `a or b`, or `one of a, b, c` for longer lists.
public func choiceList(_ names: [String]) -> String {
    names.count <= 2 ? names.joined(separator: " or ") : "one of " + names.joined(separator: ", ")
}

private func parseInteger(_ name: String, _ text: String) throws -> Int {
    guard let value = Int(text) else { throw OptionError.invalidValue(option: name, message: "expects an integer, got '\(text)'") }
    return value
}

/// Read as a `Double` first, as the CLI always has, so that a `Float` setting gets the same bits.
private func parseNumber<Value: BinaryFloatingPoint>(_ name: String, _ text: String) throws -> Value {
    guard let value = Double(text) else { throw OptionError.invalidValue(option: name, message: "expects a number, got '\(text)'") }
    return Value(value)
}

/// `%g`: `0.001`, `5`, `0.0005`, as a user would type them.
func formatNumber<Value: BinaryFloatingPoint>(_ value: Value) -> String {
    String(format: "%g", Double(value))
}

extension Option {
    /// The same option, refused (by `check` throwing) when the settings read so far make it
    /// meaningless, rather than silently ignored.
    public func requiring(_ check: @escaping (Settings) throws -> Void) -> Option {
        let apply = self.apply
        return Option(name, valueName: valueName, valueIsOptional: valueIsOptional, help: help, defaultText: defaultText) { settings, text in
            try check(settings)
            try apply(&settings, text)
        }
    }
}

extension Option {
    /// The same option, with `update` run after the value is set (a width that sets another's default).
    public func then(_ update: @escaping (inout Settings) -> Void) -> Option {
        let apply = self.apply
        return Option(name, valueName: valueName, valueIsOptional: valueIsOptional, help: help, defaultText: defaultText) { settings, text in
            try apply(&settings, text)
            update(&settings)
        }
    }

    /// The same option, with its default shown as `text` says.
    public func showingDefault(_ text: @escaping (Settings) -> String?) -> Option {
        Option(name, valueName: valueName, valueIsOptional: valueIsOptional, help: help, defaultText: text, apply: apply)
    }
}
