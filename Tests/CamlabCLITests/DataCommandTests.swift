import Foundation
import Testing

struct DataCommandTests {
    let fixtures = TrainingFixtures.shared

    @Test func makesTheSameFilesForTheSameSeed() throws {
        let first = fixtures.path("pairs-a"), second = fixtures.path("pairs-b")
        for out in [first, second] {
            let result = try CommandLine.run(["data", "make", "pairs", "--count", "12", "--size", "32", "--seed", "4", "--out", out])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("wrote 12 pairs images"))
        }
        let manifest = { (folder: String) in FileManager.default.contents(atPath: folder + "/manifest.json")! }
        #expect(manifest(first) == manifest(second))
        let json = try JSONSerialization.jsonObject(with: manifest(first)) as! [String: Any]
        let images = json["images"] as! [[String: Any]]
        #expect(images.count == 12)
        #expect(images.allSatisfy { ($0["objects"] as! [Any]).count == 2 && ($0["masks"] as! [String: String]).count == 2 })
        let image = images[0]["path"] as! String
        #expect(FileManager.default.contents(atPath: first + "/" + image) == FileManager.default.contents(atPath: second + "/" + image))
    }

    @Test func refusesAnUnknownDatasetAndANonEmptyFolder() throws {
        let unknown = try CommandLine.run(["data", "make", "blobs", "--out", fixtures.path("blobs")])
        #expect(unknown.status != 0 && unknown.stdout.isEmpty && unknown.stderr.contains("shapes, multi, pairs or scenes"))
        let occupied = try CommandLine.run(["data", "make", "shapes", "--count", "8", "--out", fixtures.shapes32])
        #expect(occupied.status != 0 && occupied.stdout.isEmpty && occupied.stderr.hasPrefix("Error: "))
    }
}
