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

    @Test("without replaceExisting, commit never replaces a file that appeared meanwhile (issue #13, 4)")
    func commitWithoutReplacingKeepsAFileCreatedMeanwhile() throws {
        let dir = TemporaryDirectory()
        let target = dir.file("out.h5")
        let d = try AtomicFileDestination(path: target, replaceExisting: false)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: d.temporaryPath))
        try Data("theirs".utf8).write(to: URL(fileURLWithPath: target))   // a concurrent run finished first
        let e = #expect(throws: CaloDataError.self) { try d.commit() }
        guard case .outputExists(let p)? = e else { Issue.record("wrong error \(String(describing: e))"); return }
        #expect(p == target && "\(e!)".contains("--force"))
        #expect(fileBytes(target) == Data("theirs".utf8))
        #expect(dir.contents == ["out.h5"])

        let fresh = try AtomicFileDestination(path: dir.file("new.h5"), replaceExisting: false)
        try Data("new".utf8).write(to: URL(fileURLWithPath: fresh.temporaryPath))
        try fresh.commit()
        #expect(fileBytes(dir.file("new.h5")) == Data("new".utf8))
        #expect(dir.contents == ["new.h5", "out.h5"])
    }

    @Test("a 255-byte file name gets a shortened temporary name and still commits (issue #13, 11)")
    func longestFileName() throws {
        let dir = TemporaryDirectory()
        let name = String(repeating: "é", count: 100) + String(repeating: "x", count: 52) + ".h5"   // 255 bytes
        #expect(name.utf8.count == 255)
        let d = try AtomicFileDestination(path: dir.file(name))
        let tmpName = String(d.temporaryPath.split(separator: "/").last!)
        #expect(tmpName.utf8.count <= 255 && tmpName.contains(".tmp-"))
        try Data("x".utf8).write(to: URL(fileURLWithPath: d.temporaryPath))
        try d.commit()
        #expect(dir.contents == [name])
        #expect(throws: CaloDataError.self) { try AtomicFileDestination(path: dir.file(name + "x")) }
    }

    @Test("temporary files of processes that no longer exist are removed by the next writer of that path; others stay (issue #13, 7)")
    func staleTemporaryFilesAreRemoved() throws {
        let dir = TemporaryDirectory()
        // A pid that is not running: beyond pid_max (4194304 at most on Linux).
        let dead = dir.file("out.h5.tmp-99999999-0"), live = dir.file("out.h5.tmp-1-0")
        let mine = dir.file("out.h5.tmp-\(getpid())-77"), other = dir.file("other.h5.tmp-99999999-0")
        let unrelated = dir.file("out.h5.tmp-notes")
        for p in [dead, live, mine, other, unrelated] { try Data("x".utf8).write(to: URL(fileURLWithPath: p)) }
        let d = try AtomicFileDestination(path: dir.file("out.h5"))
        #expect(!FileManager.default.fileExists(atPath: dead))
        for p in [live, mine, other, unrelated] { #expect(FileManager.default.fileExists(atPath: p), "\(p)") }
        d.discard()
    }
}
