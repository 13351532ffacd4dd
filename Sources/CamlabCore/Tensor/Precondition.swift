/// Shape errors must say which operation failed and on which shapes, in every build. The standard
/// library's `precondition` drops its message in optimized builds, so inside CamlabCore this one,
/// which always prints it, takes its place.
@inline(__always)
func precondition(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String = String(),
                  file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { stop(message(), file: file, line: line) }
}

/// Stops the program with a message, in every build (also replaces the standard one in CamlabCore).
func preconditionFailure(_ message: @autoclosure () -> String = String(),
                         file: StaticString = #fileID, line: UInt = #line) -> Never {
    stop(message(), file: file, line: line)
}

@inline(never)
private func stop(_ message: String, file: StaticString, line: UInt) -> Never {
    fatalError(message, file: file, line: line)
}
