import CamlabLab

/// Lesson prose for the terminal: the little Markdown the lessons use, rendered so that it reads
/// as text — **bold** and `code` in bold (plain without colour), headings in bold, the rest as is.
enum TerminalMarkdown {
    static func render(_ markdown: String, terminal: Terminal) -> String {
        var inFence = false
        return markdown.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init).map { line -> String in
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") { inFence.toggle(); return "" }
            if inFence { return "    " + line }
            if line.hasPrefix("#") {
                return terminal.bold(String(line.drop { $0 == "#" }).trimmingCharacters(in: .whitespaces))
            }
            return inline(line, terminal: terminal)
        }.joined(separator: "\n")
    }

    /// `**x**` and `` `x` `` spans; in plain text the backticks stay, since they mark what to type.
    static func inline(_ line: String, terminal: Terminal) -> String {
        var output = "", span = "", marker: String?
        var index = line.startIndex
        while index < line.endIndex {
            let rest = line[index...]
            let opening = rest.hasPrefix("**") ? "**" : rest.hasPrefix("`") ? "`" : nil
            if let current = marker, rest.hasPrefix(current) {
                output += current == "`" && terminal.color == .none ? "`\(span)`" : terminal.bold(span)
                marker = nil
                span = ""
                index = line.index(index, offsetBy: current.count)
            } else if marker == nil, let opening {
                marker = opening
                index = line.index(index, offsetBy: opening.count)
            } else {
                if marker == nil { output.append(line[index]) } else { span.append(line[index]) }
                index = line.index(after: index)
            }
        }
        if let marker { output += marker + span }   // an unclosed marker is just text
        return output
    }
}
