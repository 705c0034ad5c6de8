import Autograd
import Foundation

/// Why saved weights do not fit a model.
public enum ModelStateError: Error, CustomStringConvertible, Equatable {
    case missing(String)
    case unexpected(String)
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    case badConfiguration(String)

    public var description: String {
        switch self {
        case .missing(let name): "checkpoint has no tensor '\(name)'"
        case .unexpected(let name): "checkpoint has a tensor '\(name)' this model does not"
        case .shapeMismatch(let name, let expected, let found): "tensor '\(name)' has shape \(found), the model expects \(expected)"
        case .badConfiguration(let reason): "checkpoint configuration is unusable: \(reason)"
        }
    }
}

/// Copies named tensors into a module's parameters, checking names and shapes first.
public enum ModelState {
    public static func load(_ tensors: [(name: String, tensor: Tensor)], into module: Module) throws {
        let saved = Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        let expected = module.namedParameters
        for (name, parameter) in expected {
            guard let tensor = saved[name] else { throw ModelStateError.missing(name) }
            guard tensor.shape == parameter.shape else {
                throw ModelStateError.shapeMismatch(name: name, expected: parameter.shape, found: tensor.shape)
            }
        }
        let known = Set(expected.map(\.name))
        if let extra = tensors.first(where: { !known.contains($0.name) }) { throw ModelStateError.unexpected(extra.name) }
        for (name, parameter) in expected { parameter.data.update(from: saved[name]!.data, count: parameter.count) }
    }
}

/// The model configuration as a checkpoint stores it: `{"arch": "rnn", "rnn": {…}}` or
/// `{"arch": "transformer", "transformer": {…}}`.
public enum StoredConfiguration {
    case rnn(RNNConfiguration)
    case transformer(TransformerConfiguration)

    private struct Envelope: Codable {
        var arch: String
        var rnn: RNNConfiguration?
        var transformer: TransformerConfiguration?
    }

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        switch self {
        case .rnn(let configuration):
            return String(decoding: try encoder.encode(Envelope(arch: "rnn", rnn: configuration)), as: UTF8.self)
        case .transformer(let configuration):
            return String(decoding: try encoder.encode(Envelope(arch: "transformer", transformer: configuration)), as: UTF8.self)
        }
    }

    public init(json: String) throws {
        let envelope: Envelope
        do { envelope = try JSONDecoder().decode(Envelope.self, from: Data(json.utf8)) } catch {
            throw ModelStateError.badConfiguration("\(error)")
        }
        switch (envelope.arch, envelope.rnn, envelope.transformer) {
        case ("rnn", let configuration?, _): self = .rnn(configuration)
        case ("transformer", _, let configuration?): self = .transformer(configuration)
        default: throw ModelStateError.badConfiguration("architecture '\(envelope.arch)' is not supported by this version")
        }
    }

    /// The vocabulary sizes the model was built for.
    public var vocabularySizes: (source: Int, target: Int) {
        switch self {
        case .rnn(let c): (c.sourceVocabularySize, c.targetVocabularySize)
        case .transformer(let c): (c.sourceVocabularySize, c.targetVocabularySize)
        }
    }

    /// A message for the first inconsistent setting, or `nil`.
    public func problem() -> String? {
        switch self {
        case .rnn(let c): c.problem()
        case .transformer(let c): c.problem()
        }
    }

    /// A freshly initialised model of this shape.
    public func makeModel(generator: inout SeededGenerator) -> any Seq2SeqModel {
        switch self {
        case .rnn(let c): RNNSeq2Seq(c, generator: &generator)
        case .transformer(let c): Transformer(c, generator: &generator)
        }
    }
}
