import Autograd
import Foundation

/// Named Float32 tensors plus string metadata, read from and written to the safetensors format.
///
/// The format (huggingface/safetensors, the one the Python `safetensors` package reads):
///
///     [u64 little-endian n] [n bytes: JSON header, space-padded] [data buffer]
///
/// The header maps each tensor name to `{"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]}`,
/// `b..<e` being the tensor's bytes within the data buffer (row-major, little-endian), and may hold
/// `"__metadata__": {string: string}`. We pad the header with spaces to a multiple of 8 bytes, so
/// every tensor's data starts 8-byte aligned, as the reference writer does.
///
/// Order: tensors keep their order in `tensors`. The writer lays them out in that order and lists
/// them in the header in that order, after `__metadata__` (its keys sorted), so the same tensors and
/// metadata always give byte-identical files. The reader restores the order from the offsets.
public struct SafeTensorsFile {
    /// Headers above this many bytes are refused, as by the reference reader: a larger length is
    /// almost surely a file of another kind, and it bounds what a corrupt file can make us allocate.
    public static let maximumHeaderLength = 100_000_000

    /// The tensors, in file order. Names must be unique and not `__metadata__` (checked on writing).
    public var tensors: [(name: String, tensor: Tensor)]
    /// The header's `__metadata__`: the format allows string values only.
    public var metadata: [String: String]

    public init(tensors: [(name: String, tensor: Tensor)] = [], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The tensor named `name`, if any (a linear search: files hold hundreds of tensors, not millions).
    public subscript(name: String) -> Tensor? {
        tensors.first(where: { $0.name == name })?.tensor
    }

    /// Reads and validates a whole file (see `SafeTensorsHeader.parse` for what is checked).
    ///
    /// - Throws: `SafeTensorsError` naming `url` and the problem; never traps on bad contents.
    public init(contentsOf url: URL) throws {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url)
        } catch {
            throw SafeTensorsError(file: url.relativePath, problem: .unreadable(Self.reason(of: error, reading: url)))
        }
        try self.init(data: bytes, file: url.relativePath)
    }

    /// Parses a safetensors file held in memory.
    ///
    /// F32 tensors are copied bit for bit; F16, BF16 and F64 are converted to Float32 (F64 rounds
    /// to nearest); other dtypes throw `unsupportedDType`.
    /// - Parameter file: how to name the source in error messages.
    public init(data: Data, file: String = "<data>") throws {
        do {
            self = try data.withUnsafeBytes { bytes in
                let (header, dataStart) = try SafeTensorsHeader.parse(bytes)
                var tensors = [(name: String, tensor: Tensor)]()
                tensors.reserveCapacity(header.entries.count)
                for entry in header.entries {
                    let tensor = try Self.tensor(entry, in: bytes, dataStart: dataStart)
                    tensors.append((entry.name, tensor))
                }
                return SafeTensorsFile(tensors: tensors, metadata: header.metadata)
            }
        } catch let problem as SafeTensorsError.Problem {
            throw SafeTensorsError(file: file, problem: problem)
        }
    }

    /// The file's bytes. Deterministic: the same tensors, in the same order, with the same
    /// metadata, give the same bytes.
    ///
    /// - Throws: `SafeTensorsError` if two tensors share a name or one is named `__metadata__`.
    public func data() throws -> Data {
        var header = "{"
        if !metadata.isEmpty {
            let members = metadata.sorted { $0.key < $1.key }
                .map { "\(Self.jsonString($0.key)):\(Self.jsonString($0.value))" }
            header += "\"__metadata__\":{\(members.joined(separator: ","))}"
        }
        var seen = Set<String>()
        var offset = 0
        var separator = metadata.isEmpty ? "" : ","
        for (name, tensor) in tensors {
            guard name != "__metadata__" else {
                throw SafeTensorsError(file: "<data>", problem: .reservedName(name))
            }
            guard seen.insert(name).inserted else {
                throw SafeTensorsError(file: "<data>", problem: .duplicateName(name))
            }
            let end = offset + tensor.count * 4
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            header += separator + "\(Self.jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}"
            offset = end
            separator = ","
        }
        header += "}"
        var headerBytes = Data(header.utf8)
        headerBytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - headerBytes.count % 8) % 8))

        var file = Data(capacity: 8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(headerBytes)
        for (_, tensor) in tensors {
            Self.appendLittleEndian(tensor, to: &file)
        }
        return file
    }

    /// Writes the file atomically (see `AtomicFile.write`): `url` holds either its old contents or
    /// the whole new file, never a part.
    public func write(to url: URL) throws {
        let bytes: Data
        do {
            bytes = try data()
        } catch var error as SafeTensorsError {
            error.file = url.relativePath
            throw error
        }
        try AtomicFile.write(bytes, to: url)
    }

    // MARK: - Element conversion

    /// Copies one validated entry's bytes out of the data buffer into a new Float32 tensor.
    private static func tensor(_ entry: SafeTensorsEntry, in bytes: UnsafeRawBufferPointer,
                               dataStart: Int) throws -> Tensor {
        let tensor = Tensor(uninitializedShape: entry.shape)
        let out = tensor.data
        let start = dataStart + entry.begin
        // `loadUnaligned`: a header not padded to a multiple of the element size (some writers
        // do not pad) leaves the data misaligned, and the file is still valid.
        switch entry.dtype {
        case .f32:
            for i in 0..<tensor.count {
                let word = bytes.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)
                out[i] = Float(bitPattern: UInt32(littleEndian: word))
            }
        case .f64:
            for i in 0..<tensor.count {
                let word = bytes.loadUnaligned(fromByteOffset: start + 8 * i, as: UInt64.self)
                out[i] = Float(Double(bitPattern: UInt64(littleEndian: word)))
            }
        case .bf16:
            // bfloat16 is the top half of a Float32.
            for i in 0..<tensor.count {
                let half = bytes.loadUnaligned(fromByteOffset: start + 2 * i, as: UInt16.self)
                out[i] = Float(bitPattern: UInt32(UInt16(littleEndian: half)) << 16)
            }
        case .f16:
            for i in 0..<tensor.count {
                let half = bytes.loadUnaligned(fromByteOffset: start + 2 * i, as: UInt16.self)
                out[i] = Self.float(half: UInt16(littleEndian: half))
            }
        default:
            throw SafeTensorsError.Problem.unsupportedDType(tensor: entry.name, dtype: entry.dtype.rawValue)
        }
        return tensor
    }

    /// An IEEE binary16 value widened to Float32, exactly (by hand: `Float16` is missing on macOS/x86).
    public static func float(half: UInt16) -> Float {
        let sign: Float = half & 0x8000 == 0 ? 1 : -1
        let exponent = UInt32(half >> 10) & 0x1F
        let mantissa = UInt32(half & 0x3FF)
        switch exponent {
        case 0: return sign * Float(mantissa) * 0x1p-24  // zero or subnormal
        case 0x1F: return Float(bitPattern: UInt32(half & 0x8000) << 16 | 0x7F80_0000 | mantissa << 13)  // inf, NaN
        default: return Float(bitPattern: UInt32(half & 0x8000) << 16 | (exponent + 112) << 23 | mantissa << 13)
        }
    }

    /// Appends the tensor's elements as little-endian Float32.
    private static func appendLittleEndian(_ tensor: Tensor, to file: inout Data) {
        #if _endian(little)
        file.append(UnsafeBufferPointer(start: tensor.data, count: tensor.count))
        #else
        for i in 0..<tensor.count {
            withUnsafeBytes(of: tensor.data[i].bitPattern.littleEndian) { file.append(contentsOf: $0) }
        }
        #endif
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, the rest UTF-8.
    static func jsonString(_ string: String) -> String {
        var result = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                result += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// The system's reason for a failed read, without Foundation's boilerplate (which on Linux is
    /// often just `NSCocoaErrorDomain error 256`).
    static func reason(of error: Error, reading url: URL) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) { return "no such file" }
        if isDirectory.boolValue { return "it is a folder, not a file" }
        return nsError.localizedDescription
    }
}
