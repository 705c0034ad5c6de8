import Autograd
import Foundation

/// An architecture's name and its configuration: what a checkpoint stores, as
/// `{"arch": "rnn", "config": {…}}`, and what `attend train` builds.
///
/// Decoding resolves `arch` through `Architecture.all`. Checkpoints written before the
/// registry stored `{"arch": "rnn", "rnn": {…}}`, the configuration under the architecture's
/// own name; they decode too, and are written back in the current form.
public struct ModelConfiguration: Codable {
    /// The architecture's registered name.
    public let architecture: String
    /// The architecture's own configuration (`RNNConfiguration`, `TransformerConfiguration`).
    public private(set) var configuration: any ArchitectureConfiguration

    public init(architecture: String, _ configuration: any ArchitectureConfiguration) {
        self.architecture = architecture
        self.configuration = configuration
    }

    public var problem: String? { configuration.problem() }
    public var summary: String { configuration.summary }
    public var shortName: String { configuration.shortName }
    /// The vocabulary sizes the model is built for.
    public var vocabularySizes: (source: Int, target: Int) {
        (configuration.sourceVocabularySize, configuration.targetVocabularySize)
    }

    public mutating func setVocabularySizes(source: Int, target: Int) {
        configuration.sourceVocabularySize = source
        configuration.targetVocabularySize = target
    }

    /// A freshly initialised model of this shape.
    public func makeModel(generator: inout SeededGenerator) -> any Seq2SeqModel {
        configuration.makeModel(generator: &generator)
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.init(stringValue) }
        init?(intValue: Int) { nil }
        static let arch = Key("arch"), config = Key("config")
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let name = try container.decode(String.self, forKey: .arch)
        guard let architecture = Architecture.named(name) else {
            throw ModelConfigurationError.unknownArchitecture(name)
        }
        // Before the registry: the configuration sat under the architecture's name.
        let key = container.contains(.config) ? Key.config : Key(name)
        self.init(architecture: name, try architecture.decodeConfiguration(from: try container.superDecoder(forKey: key)))
    }

    /// `architecture`'s configuration decoded on its own, as files written before the registry
    /// hold it (`run.json`'s `model`).
    public init(legacy architecture: Architecture, from decoder: Decoder) throws {
        self.init(architecture: architecture.name, try architecture.decodeConfiguration(from: decoder))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(architecture, forKey: .arch)
        try container.encode(configuration, forKey: .config)
    }

    /// The checkpoint's form: one line of JSON with sorted keys.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// - Throws: `ModelConfigurationError` naming what is wrong.
    public init(json: String) throws {
        do { self = try JSONDecoder().decode(ModelConfiguration.self, from: Data(json.utf8)) } catch let error as ModelConfigurationError {
            throw error
        } catch {
            throw ModelConfigurationError.unreadable("\(error)")
        }
    }
}

/// A configuration that names no registered architecture.
/// Why a stored configuration does not make a model.
public enum ModelConfigurationError: Error, Equatable, CustomStringConvertible {
    /// `arch` names no registered architecture.
    case unknownArchitecture(String)
    /// The JSON does not decode: the decoder's reason.
    case unreadable(String)

    public var description: String {
        switch self {
        case .unknownArchitecture(let name): "architecture '\(name)' is not supported by this version"
        case .unreadable(let reason): reason
        }
    }
}
