import Autograd
import Foundation

/// A model restored from a checkpoint, with its vocabularies: what `translate`, `align` and
/// `eval --model` work with.
public struct TrainedModel {
    public let model: RNNSeq2Seq
    public let sourceVocabulary: Vocabulary
    public let targetVocabulary: Vocabulary
    public let trainingState: TrainingState

    /// - Throws: `CheckpointError` for an unreadable file, `ModelStateError` when its
    ///   configuration, vocabularies or tensors do not make a model.
    public static func load(from path: String) throws -> TrainedModel {
        let checkpoint = try Checkpoint.load(from: URL(fileURLWithPath: path))
        guard case .rnn(let configuration) = try StoredConfiguration(json: checkpoint.configuration) else {
            throw ModelStateError.badConfiguration("unknown architecture")
        }
        if let problem = configuration.problem() { throw ModelStateError.badConfiguration(problem) }
        guard let source = Vocabulary(tokens: checkpoint.sourceVocabulary),
              let target = Vocabulary(tokens: checkpoint.targetVocabulary),
              source.count == configuration.sourceVocabularySize, target.count == configuration.targetVocabularySize else {
            throw ModelStateError.badConfiguration("its vocabularies do not match the model")
        }
        var generator = SeededGenerator(seed: 0)
        let model = RNNSeq2Seq(configuration, generator: &generator)
        try ModelState.load(checkpoint.parameters, into: model)
        return TrainedModel(model: model, sourceVocabulary: source, targetVocabulary: target, trainingState: checkpoint.trainingState)
    }
}
