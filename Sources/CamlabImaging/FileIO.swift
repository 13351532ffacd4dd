#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CamlabFiles

/// Whole-file reads and atomic writes with errors phrased for `ImagingError`.
enum FileIO {
    /// The largest image file read: a 16,384² RGB PNG stored uncompressed is 768 MiB, but any real
    /// photograph or figure is far below 256 MiB (see `Docs/limits.md`).
    static let largestFileBytes = 256 << 20

    /// Reads a whole regular file, once: a FIFO, device or socket (which could block forever, or
    /// like `/dev/zero` never end) is refused before reading, and so is a file larger than
    /// `limit` bytes. A missing file, a folder or an empty file is an `ImagingError` too.
    static func readAll(_ path: String, limit: Int = largestFileBytes) throws -> [UInt8] {
        let bytes: [UInt8]
        do {
            bytes = try RegularFile.bytes(at: path, limit: limit)
        } catch let failure as RegularFile.Failure {
            throw ImagingError(.read, path: path, problem: failure.description)
        }
        if bytes.isEmpty { throw ImagingError(.read, path: path, problem: "the file is empty") }
        return bytes
    }

    /// Writes `bytes` to a temporary file in the target's folder, then renames it over `path`,
    /// so a reader (or a crash) never sees a half-written image.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !name.isEmpty else { throw ImagingError(.write, path: path, problem: "the path names a folder, not a file") }
        // A hidden name keeps the temporary file out of folder listings (ImageFolder skips dot files).
        var template = Array("\(folder.isEmpty ? "/" : folder)/.\(name).tmp-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw ImagingError(.write, path: path, problem: describe(errno, for: path, folder: folder))
        }
        let temporaryPath = String(cString: template)
        var failure: ImagingError?
        var written = 0
        while written < bytes.count, failure == nil {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                failure = ImagingError(.write, path: path, problem: describe(errno, for: path, folder: folder))
            } else {
                written += count
            }
        }
        // mkstemp creates the file readable by its owner only; images are ordinary files.
        if failure == nil, fchmod(descriptor, 0o644) != 0 {
            failure = ImagingError(.write, path: path, problem: describe(errno, for: path, folder: folder))
        }
        if close(descriptor) != 0, failure == nil {
            failure = ImagingError(.write, path: path, problem: describe(errno, for: path, folder: folder))
        }
        if failure == nil, rename(temporaryPath, path) != 0 {
            failure = ImagingError(.write, path: path, problem: describe(errno, for: path, folder: folder))
        }
        if let failure {
            unlink(temporaryPath)
            throw failure
        }
    }

    /// A lower-case phrase for an errno value.
    static func describe(_ code: Int32, for path: String, folder: String? = nil) -> String {
        switch code {
        case ENOENT: return folder.map { "the folder '\($0)' does not exist" } ?? "no such file"
        case EACCES, EPERM: return "permission denied"
        case EISDIR: return "it is a folder, not a file"
        case ENOTDIR: return "a part of the path is not a folder"
        case ENOSPC: return "the disk is full"
        case EROFS: return "the file system is read-only"
        case ENAMETOOLONG: return "the path is too long"
        default: return String(cString: strerror(code)).lowercased()
        }
    }
}
