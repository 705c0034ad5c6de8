/// A finite-difference check of the gradients an op's pullback computes.
///
/// The scalar checked is a random projection of the output, `L = Σ f(x) ⊙ R`, never a plain
/// `Σ f(x)`: softmax rows sum to 1, so a plain sum has gradient 0 whatever the pullback does.
/// `∂L/∂f = R` seeds the backward pass directly, so the check depends on no other op.
/// The numeric side is the central difference `(L(x + h) − L(x − h)) / 2h`, with `L`
/// accumulated in Float64.
public enum GradientCheck {
    public struct Result: CustomStringConvertible {
        /// The largest `|analytic − numeric|` over the checked elements.
        public var maxAbsoluteError: Double
        /// `‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖, tiny)` over all checked elements.
        public var relativeError: Double
        /// The elements that were perturbed.
        public var checkedElements: Int
        /// The op kinds the function recorded: a check of op X must have run op X.
        public var recordedKinds: Set<OpKind>
        /// Whether every input that should have received a gradient did.
        public var everyInputReached: Bool

        public func passes(tolerance: Double = 1e-2) -> Bool {
            everyInputReached && checkedElements > 0 && relativeError <= tolerance
        }

        public var description: String {
            "relative error \(relativeError), max abs error \(maxAbsoluteError) over \(checkedElements) elements, ops \(recordedKinds.map(\.rawValue).sorted())"
        }
    }

    /// Compares the pullbacks of `function` with central differences.
    /// - Parameters:
    ///   - inputs: the tensors to differentiate with respect to; they are marked `requiresGrad`.
    ///   - step: `h`, the perturbation.
    ///   - maximumElements: per input, how many elements (chosen at random) are perturbed.
    ///   - seed: seeds the projection `R` and the choice of elements.
    public static func check(_ inputs: [Tensor], step: Float = 1e-2, maximumElements: Int = 64,
                             seed: UInt64 = 7, _ function: ([Tensor]) -> Tensor) -> Result {
        var generator = SeededGenerator(seed: seed)
        for input in inputs {
            input.requiresGrad = true
            input.zeroGrad()
        }
        Tape.current.reset()
        let output = function(inputs)
        let recorded = Set(Tape.current.kinds)
        let projection = Tensor.normal(output.shape, generator: &generator)
        output.backward(seed: projection)
        Tape.current.reset()

        func projected() -> Double {
            let value = withoutGradients { function(inputs) }
            var total = 0.0
            for i in 0..<value.count { total += Double(value.data[i]) * Double(projection.data[i]) }
            return total
        }

        var difference = 0.0, analyticNorm = 0.0, numericNorm = 0.0, maxError = 0.0, checked = 0
        var reached = true
        for input in inputs {
            guard let grad = input.grad else {
                reached = false
                continue
            }
            var positions = Array(0..<input.count)
            if positions.count > maximumElements {
                for i in 0..<maximumElements { positions.swapAt(i, i + Int(generator.next() % UInt64(positions.count - i))) }
                positions = Array(positions.prefix(maximumElements))
            }
            for position in positions {
                let original = input.data[position]
                input.data[position] = original + step
                let plus = projected()
                input.data[position] = original - step
                let minus = projected()
                input.data[position] = original
                let numeric = (plus - minus) / (2 * Double(step))
                let analytic = Double(grad.data[position])
                difference += (analytic - numeric) * (analytic - numeric)
                analyticNorm += analytic * analytic
                numericNorm += numeric * numeric
                maxError = Swift.max(maxError, abs(analytic - numeric))
                checked += 1
            }
        }
        let scale = Swift.max(analyticNorm.squareRoot(), numericNorm.squareRoot(), 1e-12)
        return Result(maxAbsoluteError: maxError, relativeError: difference.squareRoot() / scale,
                      checkedElements: checked, recordedKinds: recorded, everyInputReached: reached)
    }
}
