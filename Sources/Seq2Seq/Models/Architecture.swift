import Autograd
import Foundation

/// A model family `attend` can build: the registry of architectures, like the subcommand list
/// in `attend/main.swift`.
///
/// An entry names the architecture (what a checkpoint stores as `arch`), the values of
/// `--arch` that pick it, its command-line options with their defaults and help, the training
/// settings it prefers, the models `attend bench train` times, and how to build a model from a
/// configuration. Each architecture declares its entry in its own folder
/// (`Models/RNN/RNNArchitecture.swift`, …) and `all` lists them: adding one is its own files
/// and one line here. Nothing else switches on an architecture's name.
public struct Architecture {
    /// Every architecture, in the order the help lists them.
    public static let all: [Architecture] = [.rnn, .transformer, .conv, .ntm]

    /// What `attend train` builds when no `--arch` is given.
    public static let defaultVariant = "gru"

    /// One value of `--arch` (its configuration before any option is held by the entry).
    public struct Variant {
        /// `gru`.
        public let name: String
        /// For the help: `a GRU encoder-decoder`.
        public let summary: String
    }

    /// A model `attend bench train --model NAME` times: the shapes of a PyTorch reference model.
    public struct Benchmark {
        /// `gru-bahdanau`.
        public let name: String
        /// For the help: what the model is, at width `W`.
        public let summary: String
        /// The configuration for width `W`, a vocabulary of `V` on both sides and dropout `p`
        /// where the architecture's `--dropout` applies it.
        public let configuration: (_ width: Int, _ vocabulary: Int, _ dropout: Float) -> ModelConfiguration
    }

    /// The checkpoint's `arch`: `rnn`, `transformer`.
    public let name: String
    /// How messages call the family: `RNN models`.
    public let title: String
    public let variants: [Variant]
    /// The help of each option, with the defaults of the first variant.
    public let options: [OptionDescription]
    /// Training settings this architecture starts from instead of the general defaults
    /// (a Transformer's warm-up, label smoothing, β₂), as option values.
    public let trainingDefaults: [OptionSetting]
    public let benchmarks: [Benchmark]
    private let configure: (_ variant: String, _ value: (OptionDescription) throws -> String?) throws -> ModelConfiguration
    private let decode: (Decoder) throws -> any ArchitectureConfiguration

    /// - Parameters:
    ///   - variants: each `--arch` value with the configuration it means before any option.
    ///   - options: applied in this order, whatever their order on the command line.
    public init<Configuration: ArchitectureConfiguration>(
        name: String, title: String, variants: [(name: String, summary: String, defaults: Configuration)],
        options: [Option<Configuration>], trainingDefaults: [OptionSetting] = [], benchmarks: [Benchmark] = []
    ) {
        self.name = name
        self.title = title
        self.variants = variants.map { Variant(name: $0.name, summary: $0.summary) }
        self.options = variants.first.map { first in options.map { $0.description(defaults: first.defaults) } } ?? []
        self.trainingDefaults = trainingDefaults
        self.benchmarks = benchmarks
        configure = { [name] variant, value in
            guard var configuration = variants.first(where: { $0.name == variant })?.defaults else {
                throw ModelConfigurationError.unknownArchitecture(variant)
            }
            for option in options {
                if let text = try value(option.description(defaults: configuration)) { try option.apply(&configuration, text) }
            }
            return ModelConfiguration(architecture: name, configuration)
        }
        decode = { try Configuration(from: $0) }
    }

    /// The registered architecture whose `--arch` values include `variant`.
    public static func named(variant: String) -> Architecture? {
        all.first { $0.variants.contains { $0.name == variant } }
    }

    /// The registered architecture a checkpoint calls `name`.
    public static func named(_ name: String) -> Architecture? { all.first { $0.name == name } }

    /// Every `--arch` value, in registry order.
    public static var variantNames: [String] { all.flatMap { $0.variants.map(\.name) } }

    /// How a sentence names the users of an option: `--arch transformer`, or for a family of
    /// variants `RNN models (--arch rnn, gru or lstm)`.
    public var audience: String {
        let names = variants.map(\.name)
        return names.count == 1 ? "--arch \(names[0])" : "\(title) (--arch \(names.dropLast().joined(separator: ", ")) or \(names.last ?? ""))"
    }

    /// The configuration `variant` names, with each option whose `value` is given applied.
    /// - Parameter value: the text given for an option, or `nil` (a flag's text is ignored).
    /// - Throws: `OptionError` for a value an option cannot take.
    public func configuration(variant: String, value: (OptionDescription) throws -> String?) throws -> ModelConfiguration {
        try configure(variant, value)
    }

    /// Decodes this architecture's configuration.
    func decodeConfiguration(from decoder: Decoder) throws -> any ArchitectureConfiguration { try decode(decoder) }
}

/// An architecture's configuration: what its checkpoints store under `config`.
public protocol ArchitectureConfiguration: Codable {
    var sourceVocabularySize: Int { get set }
    var targetVocabularySize: Int { get set }
    /// A message for the first inconsistent setting, or `nil` when the configuration is usable.
    func problem() -> String?
    /// A freshly initialised model of this shape.
    func makeModel(generator: inout SeededGenerator) -> any Seq2SeqModel
    /// How progress lines call the model: `gru + local-p (window 3)`, `transformer`.
    var summary: String { get }
    /// How run folder names call it: `gru-bahdanau`, `transformer`.
    var shortName: String { get }
}
