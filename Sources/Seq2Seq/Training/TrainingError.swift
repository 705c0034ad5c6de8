/// Why a training run stopped before it was done.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// Step `step`'s loss or gradients were not finite numbers. The step was not applied, and
    /// nothing was saved after the last validation: the run's checkpoints hold it as it was then.
    case diverged(step: Int, loss: Float, gradientNorm: Float)

    public var description: String {
        switch self {
        case let .diverged(step, loss, norm):
            "training diverged at step \(step) (loss \(Self.shown(loss)), gradient norm \(Self.shown(norm))): the step was not applied "
                + "and no checkpoint was written after the last validation; try a lower --lr or a tighter --clip, "
                + "or --skip-nonfinite to skip such batches"
        }
    }

    /// `NaN` rather than Swift's `nan` or `-nan`.
    private static func shown(_ value: Float) -> String { value.isNaN ? "NaN" : "\(value)" }
}
