#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads of what a person names (a model, an image, an architecture, a training log,
/// a class list, a lesson, a manifest): regular files only, read once, bounded. A FIFO would block
/// forever and `/dev/zero` never ends; Foundation's readers wait for both. Every reader of camlab
/// reads through here.
public enum RegularFile {
    /// Text documents: the largest real one (ImageNet's class list, a long training log) is far
    /// below 1 MiB.
    public static let textBytes = 64 << 20

    /// Why a file could not be read, as a lower-case phrase ("it is a folder, not a file").
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// The bytes of the regular file at `path`, at most `limit` of them.
    public static func bytes(at path: String, limit: Int) throws -> [UInt8] {
        // O_NONBLOCK: opening a FIFO with no writer would otherwise wait for one.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(description: phrase(errno)) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Failure(description: phrase(errno)) }
        try check(status, limit: limit)
        let size = Int(status.st_size)
        // At most the size fstat gave, plus one byte to notice a file that grew meanwhile.
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
        if failure != 0 { throw Failure(description: phrase(failure)) }
        guard bytes.count == size else { throw Failure(description: "the file changed size while it was read") }
        return bytes
    }

    /// Checks, without opening it, that `path` is a regular file of at most `limit` bytes (for
    /// readers that map the file instead).
    public static func check(at path: String, limit: Int) throws {
        var status = stat()
        guard stat(path, &status) == 0 else { throw Failure(description: phrase(errno)) }
        try check(status, limit: limit)
    }

    private static func check(_ status: stat, limit: Int) throws {
        switch status.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw Failure(description: "it is a folder, not a file")
        default: throw Failure(description: "it is not a regular file (a device, pipe or socket)")
        }
        guard Int(status.st_size) <= limit else {
            throw Failure(description: "it is \(amount(Int(status.st_size))), more than the \(amount(limit)) camlab reads")
        }
    }

    /// The text of the regular file at `path` (UTF-8; a damaged byte becomes U+FFFD, which the
    /// parsers then refuse with their own sentence).
    public static func text(at path: String, limit: Int = textBytes) throws -> String {
        String(decoding: try bytes(at: path, limit: limit), as: UTF8.self)
    }

    static func phrase(_ code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file"
        case EACCES, EPERM: return "permission denied"
        case ENOTDIR: return "a part of the path is not a folder"
        case ENAMETOOLONG: return "the path is too long"
        default: return String(cString: strerror(code)).lowercased()
        }
    }

    private static func amount(_ bytes: Int) -> String {
        bytes >= 1 << 30 && bytes % (1 << 30) == 0 ? "\(bytes >> 30) GiB" : "\((bytes + (1 << 20) - 1) >> 20) MiB"
    }
}
