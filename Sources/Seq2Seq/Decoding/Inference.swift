import Autograd

/// Runs a model without training it: nothing is recorded for backward, and the parameters'
/// packed forms are kept for every product of the run (`withFrozenParameters`), which a
/// decoder multiplying by the same weights at every step would otherwise repack each time.
public func inference<Result>(_ body: () throws -> Result) rethrows -> Result {
    try withoutGradients { try withFrozenParameters(body) }
}
