import Autograd
import Foundation

/// A model restored from a checkpoint, with its vocabularies: what `translate`, `align` and
/// `eval --model` work with.
public struct TrainedModel {
    public let model: any Seq2SeqModel
    public let sourceVocabulary: Vocabulary
    public let targetVocabulary: Vocabulary
    public let trainingState: TrainingState

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
        return TrainedModel(model: model, sourceVocabulary: source, targetVocabulary: target, trainingState: checkpoint.trainingState)
    }
}
