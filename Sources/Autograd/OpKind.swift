/// Every differentiable operation the engine records on the tape.
///
/// The gradient-check suite keeps one check per case and a meta-test fails when a case has
/// none, so adding an op here without proving its backward rule turns the tests red.
public enum OpKind: String, CaseIterable, Sendable {
    // Arithmetic.swift
    case add, subtract, multiply, divide
    case addScalar, multiplyScalar, negate, power
    // Activations.swift
    case exp, log, sqrt, tanh, sigmoid, relu, gelu
    // MatMul.swift
    case matmul, linear, linearReLU, batchedMatmul
    // Softmax.swift
    case softmax, logSoftmax
    // Losses.swift
    case crossEntropy
    // Indexing.swift
    case embedding, slice, maskedFill
    // Reshaping.swift
    case reshape, permute, concat, stack
    // Reductions.swift
    case sum, mean, max, sumAll
    // Normalization.swift
    case layerNorm
    // Dropout.swift
    case dropout
    // Convolution.swift, GLU.swift
    case convolution, glu
    // Softplus.swift, CosineSimilarity.swift, CircularConvolution.swift, Sharpening.swift,
    // MemoryWrite.swift: the Neural Turing Machine's addressing and write
    case softplus, cosineSimilarity, circularConvolution, sharpening, memoryWrite
    // Fused/: each also checked against its composed form
    case gruCell, lstmCell, additiveScores, attentionContext, scaledDotProductAttention, recurrentLayer
}
