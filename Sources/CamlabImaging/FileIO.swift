#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads and atomic writes with errors phrased for `ImagingError`.
enum FileIO {
    /// The largest image file read: a 16,384² RGB PNG stored uncompressed is 768 MiB, but any real
    /// photograph or figure is far below 256 MiB (see `Docs/limits.md`).
    static let largestFileBytes = 256 << 20

    /// Reads a whole regular file, once: a FIFO, device or socket (which could block forever, or
    /// like `/dev/zero` never end) is refused before reading, and so is a file larger than
    /// `limit` bytes. A missing file, a folder or an empty file is an `ImagingError` too.
    static func readAll(_ path: String, limit: Int = largestFileBytes) throws -> [UInt8] {
        // O_NONBLOCK: opening a FIFO with no writer would otherwise wait for one.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw ImagingError(.read, path: path, problem: describe(errno, for: path)) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw ImagingError(.read, path: path, problem: describe(errno, for: path))
        }
        switch status.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw ImagingError(.read, path: path, problem: "it is a folder, not a file")
        default: throw ImagingError(.read, path: path, problem: "it is not a regular file (a pipe, device or socket); camlab reads image files only")
        }
        let size = Int(status.st_size)
        guard size <= limit else {
            throw ImagingError(.read, path: path, problem: "it is \(megabytes(size)) MiB, more than the \(megabytes(limit)) MiB camlab reads")
        }
        if size == 0 { throw ImagingError(.read, path: path, problem: "the file is empty") }
        // Read at most the size fstat gave (plus one byte, to notice a file that grew meanwhile).
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size + 1) { buffer, count in
            var done = 0
            while done <= size {
                let got = read(descriptor, buffer.baseAddress! + done, size + 1 - done)
                if got < 0 && errno == EINTR { continue }
                if got <= 0 { failure = got < 0 ? errno : 0; break }
                done += got
            }
            count = done
        }
        if failure != 0 { throw ImagingError(.read, path: path, problem: describe(failure, for: path)) }
        guard bytes.count == size else {
            throw ImagingError(.read, path: path, problem: "the file changed size while it was read")
        }
        return bytes
    }

    private static func megabytes(_ bytes: Int) -> Int { (bytes + (1 << 20) - 1) >> 20 }

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
