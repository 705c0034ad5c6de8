import Autograd
import Foundation
import Seq2Seq
import XCTest

/// A run whose loss turns NaN stops with `TrainingError.diverged` before the optimizer applies
/// the step, and leaves the checkpoints of its last validation as they were.
final class TrainerDivergenceTests: XCTestCase {
    func testANonFiniteStepStopsTheRunAndKeepsTheLastCheckpoint() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("attend-diverged-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let vocabulary = Vocabulary(sentences: [["a", "b", "c", "d"]])
        let pairs = [([4, 5], [5, 4]), ([6, 7, 4], [4, 7, 6]), ([5, 5], [5, 5]), ([7], [7])].map { (source: $0.0, target: $0.1) }
        var c = NTMConfiguration()
        (c.embeddingWidth, c.hiddenWidth, c.memorySlots, c.memoryWidth) = (4, 6, 6, 3)
        (c.sourceVocabularySize, c.targetVocabularySize) = (vocabulary.count, vocabulary.count)
        var generator = SeededGenerator(seed: 1)
        let model = NeuralTuringMachine(c, generator: &generator)
        var options = TrainingOptions()
        (options.batchSize, options.validateEvery, options.epochs) = (2, 2, 5)

        let trainer = try Trainer(model: model, sourceVocabulary: vocabulary, targetVocabulary: vocabulary,
                                  train: pairs, dev: pairs, options: options, runFolder: folder)
        var weightsWhenPoisoned = [[Float]]()
        XCTAssertThrowsError(try trainer.run { event in
            // After the first validation (step 2, checkpoints written), one weight turns NaN.
            guard case .validation = event, weightsWhenPoisoned.isEmpty else { return }
            model.namedParameters.first { $0.name == "output.bias" }?.tensor.data[0] = .nan  // every logit row
            weightsWhenPoisoned = model.parameters.map(\.scalars)
        }) { error in
            guard case .diverged(let step, let loss, _)? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertEqual(step, 3)
            XCTAssertTrue(loss.isNaN)
            XCTAssertTrue("\(error)".hasPrefix("training diverged at step 3 (loss NaN, gradient norm NaN)"), "\(error)")
        }
        // Nothing moved: the optimizer never saw the NaN gradients.
        for (now, then) in zip(model.parameters.map(\.scalars), weightsWhenPoisoned) {
            XCTAssertTrue(zip(now, then).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
        }
        let last = try Checkpoint.load(from: folder.appendingPathComponent(Checkpoint.lastFileName))
        XCTAssertEqual(last.trainingState.step, 2)
        XCTAssertTrue(last.parameters.allSatisfy { $0.tensor.scalars.allSatisfy(\.isFinite) }, "the saved run is the one before the NaN")
    }

    /// Under `skipNonFinite` the poisoned step is skipped, counted and logged, and the run goes on.
    func testSkipNonFiniteSkipsTheBatchCountsItAndGoesOn() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("attend-skipped-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let vocabulary = Vocabulary(sentences: [["a", "b", "c", "d"]])
        let pairs = [([4, 5], [5, 4]), ([6, 7, 4], [4, 7, 6]), ([5, 5], [5, 5]), ([7], [7])].map { (source: $0.0, target: $0.1) }
        var c = RNNConfiguration()
        (c.embeddingWidth, c.hiddenWidth) = (4, 6)
        (c.sourceVocabularySize, c.targetVocabularySize) = (vocabulary.count, vocabulary.count)
        var generator = SeededGenerator(seed: 1)
        let model = RNNSeq2Seq(c, generator: &generator)
        var options = TrainingOptions()
        (options.batchSize, options.validateEvery, options.epochs, options.skipNonFinite) = (2, 2, 3, true)
        let trainer = try Trainer(model: model, sourceVocabulary: vocabulary, targetVocabulary: vocabulary,
                                  train: pairs, dev: pairs, options: options, runFolder: folder)
        let bias = try XCTUnwrap(model.namedParameters.first { $0.name == "decoder.output.bias" }?.tensor)
        var saved: Float = 0, skipped: [Int] = []
        try trainer.run { event in
            switch event {
            case .validation(let step, _, _, _) where step == 2:
                saved = bias.data[0]
                bias.data[0] = .nan  // step 3's loss is NaN
            case .skipped(let step, let loss, _, let total):
                XCTAssertTrue(loss.isNaN)
                skipped.append(step)
                XCTAssertEqual(total, skipped.count)
                bias.data[0] = saved  // the next step is healthy again
            default: break
            }
        }
        XCTAssertEqual(skipped, [3])
        XCTAssertEqual(trainer.state.step, 6, "every batch of the 3 epochs was read")
        XCTAssertEqual(trainer.state.skippedBatches, 1)
        let rows = try String(contentsOf: folder.appendingPathComponent("metrics.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
        XCTAssertEqual(rows.map { $0.split(separator: ",")[2].lowercased().contains("nan") }, [false, false, true, false, false, false])
        let last = try Checkpoint.load(from: folder.appendingPathComponent(Checkpoint.lastFileName))
        XCTAssertEqual(last.trainingState.skippedBatches, 1)
        XCTAssertTrue(last.parameters.allSatisfy { $0.tensor.scalars.allSatisfy(\.isFinite) })
    }
}
