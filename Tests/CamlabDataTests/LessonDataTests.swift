import Foundation
import Testing
@testable import CamlabData

struct LessonDataTests {
    @Test func generatesAMissingDatasetOnceAndThenReusesIt() throws {
        let root = try TemporaryFolder()
        let folder = try LessonData.ensureDataset(named: "pairs", in: root.path)
        #expect(folder == root.path + "/pairs")
        let manifest = try DatasetManifest.read(at: folder + "/manifest.json")
        #expect(manifest.counts.total == LessonData.defaultSpec(for: .pairs).count)
        let written = try FileManager.default.attributesOfItem(atPath: folder + "/manifest.json")[.modificationDate] as? Date
        try LessonData.ensureDataset(named: "pairs", in: root.path)
        let again = try FileManager.default.attributesOfItem(atPath: folder + "/manifest.json")[.modificationDate] as? Date
        #expect(written == again, "an existing dataset is not regenerated")
    }

    @Test func refusesAnUnknownName() throws {
        let root = try TemporaryFolder()
        #expect(throws: DatasetError.self) { try LessonData.ensureDataset(named: "blobs", in: root.path) }
    }
}
