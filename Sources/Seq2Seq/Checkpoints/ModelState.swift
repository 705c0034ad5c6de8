import Autograd
import Foundation

/// Why saved weights do not fit a model.
public enum ModelStateError: Error, CustomStringConvertible, Equatable {
    case missing(String)
    case unexpected(String)
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    case badConfiguration(String)

    public var description: String {
        switch self {
        case .missing(let name): "checkpoint has no tensor '\(name)'"
        case .unexpected(let name): "checkpoint has a tensor '\(name)' this model does not"
        case .shapeMismatch(let name, let expected, let found): "tensor '\(name)' has shape \(found), the model expects \(expected)"
        case .badConfiguration(let reason): "checkpoint configuration is unusable: \(reason)"
        }
    }
}

/// Copies named tensors into a module's parameters and buffers (`namedState`), checking names and shapes first.
public enum ModelState {
    public static func load(_ tensors: [(name: String, tensor: Tensor)], into module: Module) throws {
        let saved = Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        let expected = module.namedState
        let pairs = try expected.map { name, parameter in
            guard let tensor = saved[name] else { throw ModelStateError.missing(name) }
            guard tensor.shape == parameter.shape else {
                throw ModelStateError.shapeMismatch(name: name, expected: parameter.shape, found: tensor.shape)
            }
            return (parameter, tensor)
        }
        let known = Set(expected.map(\.name))
        if let extra = tensors.first(where: { !known.contains($0.name) }) { throw ModelStateError.unexpected(extra.name) }
        for (parameter, tensor) in pairs { parameter.data.update(from: tensor.data, count: parameter.count) }
    }
}
