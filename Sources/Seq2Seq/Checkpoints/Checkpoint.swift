import Autograd
import Foundation

/// Everything needed to resume a training run or to translate with it, in one `.safetensors` file.
///
/// Layout of the file (a plain safetensors file; see `SafeTensorsFile`):
/// - tensors: the parameters under their own names (PyTorch-style, e.g. `encoder.embedding.weight`),
///   then the optimizer's moments under `optimizer.` + their name (`optimizer.m.decoder.out.weight`),
///   so that `safe_open(path).keys()` minus the `optimizer.` ones is a PyTorch state dict;
/// - `__metadata__` (strings only, as the format demands):
///   `attend.format_version` (`"1"`), `attend.config` (the model configuration, JSON),
///   `attend.source_vocab` and `attend.target_vocab` (JSON arrays of tokens, index = id),
///   `attend.training_state` (`TrainingState` as JSON); for a model trained on subwords,
///   `attend.source_bpe` and `attend.target_bpe` (its merges, as a codes file holds them).
///
/// A run folder keeps two: `last.safetensors` (every save) and `best.safetensors` (the best
/// validation score); both are written atomically, so either is always a whole checkpoint.
public struct Checkpoint {
    /// The layout version written; files with a higher version are refused, not misread.
    public static let formatVersion = 1
    /// The prefix that separates optimizer state from parameters among the file's tensors.
    public static let optimizerPrefix = "optimizer."
    public static let lastFileName = "last.safetensors"
    public static let bestFileName = "best.safetensors"

    /// Metadata keys, in one place.
    public enum Key {
        public static let formatVersion = "attend.format_version"
        public static let configuration = "attend.config"
        public static let sourceVocabulary = "attend.source_vocab"
        public static let targetVocabulary = "attend.target_vocab"
        public static let trainingState = "attend.training_state"
        public static let sourceSubwords = "attend.source_bpe"
        public static let targetSubwords = "attend.target_bpe"
    }

    /// The model's parameters, in the model's order. No name may start with `optimizerPrefix`.
    public var parameters: [(name: String, tensor: Tensor)]
    /// The optimizer's tensors (e.g. Adam's first and second moments), names without the prefix.
    public var optimizerState: [(name: String, tensor: Tensor)]
    /// The model configuration as a JSON string; this layer stores it without looking inside.
    public var configuration: String
    /// Source tokens, index = token id.
    public var sourceVocabulary: [String]
    /// Target tokens, index = token id.
    public var targetVocabulary: [String]
    public var trainingState: TrainingState
    /// The merges the model's tokens were segmented with; `nil` for a word-level model.
    public var subwords: Subwords?

    public init(parameters: [(name: String, tensor: Tensor)], optimizerState: [(name: String, tensor: Tensor)] = [],
                configuration: String, sourceVocabulary: [String], targetVocabulary: [String],
                trainingState: TrainingState = TrainingState()) {
        self.parameters = parameters
        self.optimizerState = optimizerState
        self.configuration = configuration
        self.sourceVocabulary = sourceVocabulary
        self.targetVocabulary = targetVocabulary
        self.trainingState = trainingState
    }

    // MARK: - Writing

    /// The checkpoint as a safetensors file in memory.
    ///
    /// - Throws: `CheckpointError` if a parameter name starts with `optimizerPrefix` (it would be
    ///   read back as optimizer state) or if names repeat.
    public func safeTensorsFile() throws -> SafeTensorsFile {
        if let clash = parameters.first(where: { $0.name.hasPrefix(Self.optimizerPrefix) }) {
            throw CheckpointError(file: "<checkpoint>", problem: .parameterNameClash(clash.name))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // JSON has no NaN or infinity; a diverged run's score must still save.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var metadata = [
            Key.formatVersion: String(Self.formatVersion),
            Key.configuration: configuration,
            Key.sourceVocabulary: String(decoding: try encoder.encode(sourceVocabulary), as: UTF8.self),
            Key.targetVocabulary: String(decoding: try encoder.encode(targetVocabulary), as: UTF8.self),
            Key.trainingState: String(decoding: try encoder.encode(trainingState), as: UTF8.self),
        ]
        if let subwords {
            metadata[Key.sourceSubwords] = subwords.source.text
            metadata[Key.targetSubwords] = subwords.target.text
        }
        let optimizer = optimizerState.map { (name: Self.optimizerPrefix + $0.name, tensor: $0.tensor) }
        return SafeTensorsFile(tensors: parameters + optimizer, metadata: metadata)
    }

    /// Writes the checkpoint to `url` atomically.
    public func save(to url: URL) throws {
        try AtomicFile.write(try bytes(for: url), to: url)
    }

    /// Writes `last.safetensors` in `folder` and, when `isBest`, `best.safetensors` too.
    ///
    /// `last` is written first: if the process dies between the two, `best` still holds the
    /// previous best, which is what it claims to be.
    public func save(inRunFolder folder: URL, isBest: Bool) throws {
        let last = folder.appendingPathComponent(Self.lastFileName)
        let bytes = try bytes(for: last)
        try AtomicFile.write(bytes, to: last)
        if isBest {
            try AtomicFile.write(bytes, to: folder.appendingPathComponent(Self.bestFileName))
        }
    }

    /// The serialised file, with any error naming `url`.
    private func bytes(for url: URL) throws -> Data {
        do {
            return try safeTensorsFile().data()
        } catch var error as CheckpointError {
            error.file = url.relativePath
            throw error
        } catch var error as SafeTensorsError {
            error.file = url.relativePath
            throw error
        }
    }

    // MARK: - Reading

    /// Reads and validates a checkpoint.
    ///
    /// - Throws: `SafeTensorsError.Problem.unreadable` wrapped in `CheckpointError` when the file
    ///   cannot be read; `CheckpointError` naming the file and the problem (not a safetensors file,
    ///   a missing or malformed metadata key, a newer format version) otherwise. Never traps.
    public static func load(from url: URL) throws -> Checkpoint {
        let name = url.relativePath
        let file: SafeTensorsFile
        do {
            file = try SafeTensorsFile(contentsOf: url)
        } catch let error as SafeTensorsError {
            throw CheckpointError(file: name, problem: .notSafeTensors(error.problem))
        }
        return try Checkpoint(file, name: name)
    }

    /// Interprets a safetensors file already in memory as a checkpoint.
    /// - Parameter name: how to name the file in error messages.
    public init(_ file: SafeTensorsFile, name: String = "<checkpoint>") throws {
        func value(_ key: String) throws -> String {
            guard let value = file.metadata[key] else {
                throw CheckpointError(file: name, problem: .missingMetadata(key: key))
            }
            return value
        }
        func decode<T: Decodable>(_ type: T.Type, key: String) throws -> T {
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(
                positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            do {
                return try decoder.decode(type, from: Data(try value(key).utf8))
            } catch let error as CheckpointError {
                throw error
            } catch {
                throw CheckpointError(file: name, problem: .invalidMetadata(key: key, reason: Self.summary(of: error)))
            }
        }

        let versionText = try value(Key.formatVersion)
        guard let version = Int(versionText) else {
            throw CheckpointError(file: name, problem: .invalidMetadata(
                key: Key.formatVersion, reason: "'\(versionText)' is not a version number"))
        }
        guard version <= Self.formatVersion else {
            throw CheckpointError(file: name, problem: .newerFormat(version: version))
        }
        configuration = try value(Key.configuration)
        sourceVocabulary = try decode([String].self, key: Key.sourceVocabulary)
        targetVocabulary = try decode([String].self, key: Key.targetVocabulary)
        trainingState = try decode(TrainingState.self, key: Key.trainingState)
        subwords = try Self.subwords(file.metadata, name: name)
        parameters = file.tensors.filter { !$0.name.hasPrefix(Self.optimizerPrefix) }
        optimizerState = file.tensors.filter { $0.name.hasPrefix(Self.optimizerPrefix) }
            .map { (name: String($0.name.dropFirst(Self.optimizerPrefix.count)), tensor: $0.tensor) }
    }

    /// The merges of both sides, if the file has them (older checkpoints and word-level models do not).
    private static func subwords(_ metadata: [String: String], name: String) throws -> Subwords? {
        guard let source = metadata[Key.sourceSubwords], let target = metadata[Key.targetSubwords] else { return nil }
        func codes(_ text: String, key: String) throws -> BPECodes {
            do { return try BPECodes(text: text, name: key) } catch {
                throw CheckpointError(file: name, problem: .invalidMetadata(key: key, reason: "\(error)"))
            }
        }
        return Subwords(source: try codes(source, key: Key.sourceSubwords), target: try codes(target, key: Key.targetSubwords))
    }

    /// A decoding error in one line: the reason, and where in the JSON if known.
    private static func summary(of error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context), DecodingError.typeMismatch(_, let context),
             DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        case DecodingError.keyNotFound(let key, _):
            return "field '\(key.stringValue)' is missing"
        default:
            return "\(error)"
        }
    }
}
