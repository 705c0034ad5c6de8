import Autograd
import Foundation

/// A model restored from a checkpoint, with its vocabularies: what `translate`, `align` and
/// `eval --model` work with.
public struct TrainedModel {
    public let model: any Seq2SeqModel
    public let sourceVocabulary: Vocabulary
    public let targetVocabulary: Vocabulary
    public let trainingState: TrainingState
    /// The merges its tokens were segmented with; `nil` for a word-level model.
    public var subwords: Subwords? = nil

    /// Builds the model the checkpoint's `{arch, config}` names (through `Architecture.all`)
    /// and loads its weights.
    /// - Throws: `CheckpointError` for an unreadable file, `ModelStateError` when its
    ///   configuration, vocabularies or tensors do not make a model.
    public static func load(from path: String) throws -> TrainedModel {
        let checkpoint = try Checkpoint.load(from: URL(fileURLWithPath: path))
        let configuration: ModelConfiguration
        do { configuration = try ModelConfiguration(json: checkpoint.configuration) } catch {
            throw ModelStateError.badConfiguration("\(error)")
        }
        if let problem = configuration.problem { throw ModelStateError.badConfiguration(problem) }
        guard let source = Vocabulary(tokens: checkpoint.sourceVocabulary),
              let target = Vocabulary(tokens: checkpoint.targetVocabulary),
              source.count == configuration.vocabularySizes.source, target.count == configuration.vocabularySizes.target else {
            throw ModelStateError.badConfiguration("its vocabularies do not match the model")
        }
        var generator = SeededGenerator(seed: 0)
        let model = configuration.makeModel(generator: &generator)
        try ModelState.load(checkpoint.parameters, into: model)
        return TrainedModel(model: model, sourceVocabulary: source, targetVocabulary: target, trainingState: checkpoint.trainingState,
                            subwords: checkpoint.subwords)
    }

    /// A source sentence's words as the model's ids (segmented first if it reads subwords).
    public func encodeSource(_ words: [String]) -> [Int] {
        sourceVocabulary.encode(subwords.map { $0.source.segment(sentence: words) } ?? words)
    }

    /// A target sentence's words as the model's ids.
    public func encodeTarget(_ words: [String]) -> [Int] {
        targetVocabulary.encode(subwords.map { $0.target.segment(sentence: words) } ?? words)
    }

    /// The target ids the model emitted, as words (its pieces joined).
    public func decodeTarget(_ ids: [Int]) -> [String] {
        let tokens = targetVocabulary.decode(ids)
        return subwords == nil ? tokens : BPECodes.join(tokens)
    }
}
