import Foundation
import Testing
import CaloData
import CaloTestSupport

@Suite struct AtomicFileDestinationTests {
    @Test func commitRenamesOntoTheTargetReplacingIt() throws {
        let dir = TemporaryDirectory()
        let target = dir.file("report.json")
        try Data("old".utf8).write(to: URL(fileURLWithPath: target))
        let d = try AtomicFileDestination(path: target)
        try Data("new".utf8).write(to: URL(fileURLWithPath: d.temporaryPath))
        #expect(fileBytes(target) == Data("old".utf8))
        try d.commit()
        #expect(d.isCommitted)
        #expect(fileBytes(target) == Data("new".utf8))
        #expect(dir.contents == ["report.json"])
        #expect(throws: CaloDataError.self) { try d.commit() }
    }

    @Test func discardAndDeinitRemoveTheTemporaryFile() throws {
        let dir = TemporaryDirectory()
        let target = dir.file("x.png")
        try Data("keep".utf8).write(to: URL(fileURLWithPath: target))
        do {
            let d = try AtomicFileDestination(path: target)
            try Data("half".utf8).write(to: URL(fileURLWithPath: d.temporaryPath))
            #expect(dir.contents.count == 2)
        }
        #expect(dir.contents == ["x.png"])
        let d = try AtomicFileDestination(path: target)
        try Data("half".utf8).write(to: URL(fileURLWithPath: d.temporaryPath))
        d.discard()
        #expect(dir.contents == ["x.png"] && fileBytes(target) == Data("keep".utf8))
        #expect(throws: CaloDataError.self) { try d.commit() }
    }

    @Test func temporaryNamesAreDistinctInTheSameDirectory() throws {
        let dir = TemporaryDirectory()
        let a = try AtomicFileDestination(path: dir.file("f")), b = try AtomicFileDestination(path: dir.file("f"))
        #expect(a.temporaryPath != b.temporaryPath)
        #expect(a.temporaryPath.hasPrefix(dir.file("f.tmp-")))
    }

    @Test func commitWithoutATemporaryFileFails() throws {
        let dir = TemporaryDirectory()
        let d = try AtomicFileDestination(path: dir.file("never-written"))
        #expect(throws: CaloDataError.self) { try d.commit() }
        #expect(dir.contents.isEmpty)
    }
}
