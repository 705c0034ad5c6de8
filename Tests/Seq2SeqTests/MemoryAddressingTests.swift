import Autograd
import Seq2Seq
import XCTest

/// A Neural Turing Machine's addressing (Graves et al. 2014, §3.3) composed of its ops: what the
/// controller's outputs become, what content and location addressing do, and the gradients of
/// several steps of addressing, writing and reading against finite differences.
final class MemoryAddressingTests: XCTestCase {
    private let (memoryWidth, shiftRange) = (3, 1)
    /// What one head emits: `[k (M) | β | g | s (2K + 1) | γ]`.
    private var width: Int { memoryWidth + 2 * shiftRange + 4 }

    /// Each parameter lands in its range whatever the controller emits.
    func testParametersComeThroughTheirNonLinearities() {
        var g = SeededGenerator(seed: 1)
        let emitted = Tensor.uniform([4, 2, width], low: -30, high: 30, generator: &g)
        let p = HeadParameters(emitted: emitted, memoryWidth: memoryWidth, shiftRange: shiftRange)
        XCTAssertEqual(p.key.shape, [4, 2, 3])
        XCTAssertTrue(p.key.scalars.allSatisfy { abs($0) <= 1 }, "tanh")
        XCTAssertTrue(p.strength.scalars.allSatisfy { $0 >= 0 }, "softplus")
        XCTAssertTrue(p.gate.scalars.allSatisfy { (0...1).contains($0) }, "sigmoid")
        XCTAssertTrue(p.sharpening.scalars.allSatisfy { $0 >= 1 }, "1 + softplus")
        XCTAssertEqual(p.shifts.shape, [4, 2, 3])
        for row in 0..<8 { XCTAssertEqual(p.shifts.scalars[row * 3..<row * 3 + 3].reduce(0, +), 1, accuracy: 1e-5, "softmax") }
    }

    /// Parameters set by hand for one head over one memory `[1, 4, 3]`.
    private func head(key: [Float], strength: Float, gate: Float, shifts: [Float], sharpening: Float) -> HeadParameters {
        var p = HeadParameters(emitted: .zeros([1, 1, width]), memoryWidth: memoryWidth, shiftRange: shiftRange)
        p.key = Tensor(shape: [1, 1, 3], scalars: key)
        p.strength = Tensor(shape: [1, 1, 1], scalars: [strength])
        p.gate = Tensor(shape: [1, 1, 1], scalars: [gate])
        p.shifts = Tensor(shape: [1, 1, 3], scalars: shifts)
        p.sharpening = Tensor(shape: [1, 1, 1], scalars: [sharpening])
        return p
    }

    private let memory = Tensor(shape: [1, 4, 3], scalars: [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0])
    private let onFirstSlot = Tensor(shape: [1, 1, 4], scalars: [1, 0, 0, 0])

    /// `g = 1`, no shift: the weighting goes to the row most like the key, the more so the
    /// stronger `β` (eq. 5), whatever the previous weighting.
    func testContentAddressingFindsTheRowLikeTheKey() {
        let weak = head(key: [0, 0.9, 0.1], strength: 1, gate: 1, shifts: [0, 1, 0], sharpening: 1)
            .address(memory: memory, previous: onFirstSlot).scalars
        let strong = head(key: [0, 0.9, 0.1], strength: 50, gate: 1, shifts: [0, 1, 0], sharpening: 1)
            .address(memory: memory, previous: onFirstSlot).scalars
        XCTAssertEqual(weak.indices.max { weak[$0] < weak[$1] }, 1)
        XCTAssertLessThan(weak[1], 0.5)
        XCTAssertGreaterThan(strong[1], 0.99)
    }

    /// `g = 0`: the previous weighting, moved by the shift (eq. 8), around the end of the memory.
    func testLocationAddressingMovesThePreviousWeighting() {
        let last = Tensor(shape: [1, 1, 4], scalars: [0, 0, 0, 1])
        func moved(_ shifts: [Float], from previous: Tensor) -> [Float] {
            head(key: [1, 0, 0], strength: 10, gate: 0, shifts: shifts, sharpening: 1).address(memory: memory, previous: previous).scalars
        }
        XCTAssertEqual(moved([0, 0, 1], from: onFirstSlot), [0, 1, 0, 0])
        XCTAssertEqual(moved([0, 0, 1], from: last), [1, 0, 0, 0], "past the last slot to the first")
        XCTAssertEqual(moved([1, 0, 0], from: onFirstSlot), [0, 0, 0, 1], "back from the first slot to the last")
        // A blurred shift, sharpened back (eq. 9).
        let blurred = moved([0.2, 0.1, 0.7], from: onFirstSlot)
        let sharpened = head(key: [1, 0, 0], strength: 10, gate: 0, shifts: [0.2, 0.1, 0.7], sharpening: 8)
            .address(memory: memory, previous: onFirstSlot).scalars
        XCTAssertEqual(blurred[1], 0.7, accuracy: 1e-6)
        XCTAssertGreaterThan(sharpened[1], 0.99)
    }

    /// Three steps of a write head and two read heads, as the machine runs them: every head
    /// addresses the memory before the step's write, the write changes it, the read heads read
    /// it. The gradients of the reads and weightings with respect to everything the heads emitted
    /// at every step, and the initial memory, match central differences.
    func testAddressingWritingAndReadingOverStepsMatchFiniteDifferences() {
        let (batch, slots, steps) = (2, 5, 3)
        var g = SeededGenerator(seed: 4)
        let reads = (0..<steps).map { _ in Tensor.uniform([batch, 2, width], low: -2, high: 2, generator: &g) }
        let writes = (0..<steps).map { _ in Tensor.uniform([batch, 1, width + 2 * memoryWidth], low: -2, high: 2, generator: &g) }
        let initial = Tensor.uniform([batch, slots, memoryWidth], low: -1, high: 1, generator: &g)
        let start = Tensor.zeros([batch, 2, slots])
        for row in 0..<batch * 2 { start.data[row * slots + row % slots] = 1 }

        let result = GradientCheck.check(reads + writes + [initial], step: 1e-2, maximumElements: 24) { x in
            var memory = x[2 * steps], readWeightings = start, writeWeighting = start.slice(axis: 1, start: 0, length: 1)
            var outputs = [Tensor]()
            for t in 0..<steps {
                let reading = HeadParameters(emitted: x[t], memoryWidth: memoryWidth, shiftRange: shiftRange)
                let writing = HeadParameters(emitted: x[steps + t], memoryWidth: memoryWidth, shiftRange: shiftRange)
                writeWeighting = writing.address(memory: memory, previous: writeWeighting)
                readWeightings = reading.address(memory: memory, previous: readWeightings)
                let erase = x[steps + t].slice(axis: 2, start: width, length: memoryWidth).sigmoid()
                let add = x[steps + t].slice(axis: 2, start: width + memoryWidth, length: memoryWidth).tanh()
                memory = Tensor.memoryWrite(memory: memory, weighting: writeWeighting.reshaped([batch, slots]),
                                            erase: erase.reshaped([batch, memoryWidth]), add: add.reshaped([batch, memoryWidth]))
                outputs += [readWeightings.batchedMatmul(memory).reshaped([batch, 2 * memoryWidth]),
                            readWeightings.reshaped([batch, 2 * slots]), writeWeighting.reshaped([batch, slots])]
            }
            return Tensor.concat(outputs, axis: 1)
        }
        XCTAssertTrue(result.passes(tolerance: 2e-2), "\(result)")
        for kind in [OpKind.cosineSimilarity, .softmax, .circularConvolution, .sharpening, .memoryWrite, .softplus] {
            XCTAssertTrue(result.recordedKinds.contains(kind), "\(kind) took part")
        }
    }
}
