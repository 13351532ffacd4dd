import CamlabData
import CamlabImaging
import Foundation
import Testing

@Test func listsAGeneratedDatasetInModelOrder() throws {
    let folder = try TemporaryFolder()
    let manifest = try DatasetGenerator.write(DatasetSpec(kind: .shapes, count: 40, seed: 6), to: folder.file("data"))
    let train = try ImageFolder(directory: folder.file("data/train"), classes: ShapeClass.names)
    #expect(train.classes == ShapeClass.names)
    #expect(train.count == manifest.counts.train)
    // Sorted by class index, then file name.
    let expected = manifest.images.filter { $0.split == .train }
        .sorted { ($0.label!.index, $0.index) < ($1.label!.index, $1.index) }
    #expect(train.samples.map(\.path) == expected.map { folder.file("data/\($0.path)") })
    #expect(train.samples.map(\.classIndex) == expected.map { $0.label!.index })
    #expect(try train.image(at: 0) == DatasetGenerator.sample(kind: .shapes, index: expected[0].index, seed: 6).image)
}

@Test func withoutClassesFoldersAreSortedByName() throws {
    let folder = try TemporaryFolder()
    try DatasetGenerator.write(DatasetSpec(kind: .shapes, count: 8, seed: 6, testFraction: 0), to: folder.file("data"))
    let train = try ImageFolder(directory: folder.file("data/train"))
    #expect(train.classes == ["circle", "cross", "square", "triangle"])
}

@Test func acceptsImageExtensionsAndSkipsOtherFiles() throws {
    let folder = try TemporaryFolder()
    let image = RGBImage(width: 4, height: 4, filledWith: RGB(red: 10, green: 20, blue: 30))
    try FileManager.default.createDirectory(atPath: folder.file("cats"), withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: folder.file("dogs"), withIntermediateDirectories: true)
    try PNGFile.write(image, to: folder.file("dogs/b.PNG"))
    try ImageFile.write(image, to: folder.file("dogs/a.jpg"))
    try ImageFile.write(image, to: folder.file("cats/z.bmp"))
    try "not listed".write(toFile: folder.file("cats/readme.txt"), atomically: true, encoding: .utf8)
    try PNGFile.write(image, to: folder.file("cats/.hidden.png"))
    let listing = try ImageFolder(directory: folder.path)
    #expect(listing.classes == ["cats", "dogs"])
    #expect(listing.samples.map(\.path) == [folder.file("cats/z.bmp"), folder.file("dogs/a.jpg"), folder.file("dogs/b.PNG")])
    #expect(listing.samples.map(\.classIndex) == [0, 1, 1])
    #expect(try listing.image(at: 0) == image)
}

@Test func missingEmptyOrIncompleteFoldersAreClearErrors() throws {
    let folder = try TemporaryFolder()
    let missing = #expect(throws: DatasetError.self) { try ImageFolder(directory: folder.file("nope")) }
    #expect(missing?.description == "cannot open the image folder '\(folder.file("nope"))': no such folder")
    let empty = #expect(throws: DatasetError.self) { try ImageFolder(directory: folder.path) }
    #expect(empty?.problem == "it contains no class folders (expected DIR/<class>/<image>)")
    try FileManager.default.createDirectory(atPath: folder.file("circle"), withIntermediateDirectories: true)
    let noImages = #expect(throws: DatasetError.self) { try ImageFolder(directory: folder.path) }
    #expect(noImages?.problem.hasPrefix("its class folders contain no image files") == true)
    try PNGFile.write(GrayImage(width: 2, height: 2), to: folder.file("circle/0.png"))
    let noCross = #expect(throws: DatasetError.self) {
        try ImageFolder(directory: folder.path, classes: ["circle", "cross"])
    }
    #expect(noCross?.description == "cannot open the image folder '\(folder.path)': it has no folder for class 'cross'")
}
