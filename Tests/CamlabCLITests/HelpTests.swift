import Testing

struct HelpTests {
    @Test func versionAndHelp() throws {
        let version = try CommandLine.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
        let help = try CommandLine.run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("class activation maps"))
    }

    @Test func unknownSubcommandFails() throws {
        let result = try CommandLine.run(["frobnicate"])
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(!result.stderr.isEmpty)
    }
}
