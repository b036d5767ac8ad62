import CaloData
import Testing

/// SHA-256 against the FIPS 180-4 / NIST example digests, and across the padding boundaries.
@Suite("SHA-256")
struct SHA256Tests {
    @Test("NIST examples: empty, \"abc\", the two-block message, a million 'a'")
    func nistVectors() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("lengths around the 55/56/64-byte padding boundaries give distinct 32-byte digests")
    func paddingBoundaries() {
        var seen = Set<String>()
        for n in [54, 55, 56, 57, 63, 64, 65, 119, 120] {
            let d = SHA256.digest([UInt8](repeating: 0x61, count: n))
            #expect(d.count == 32)
            seen.insert(SHA256.hex([UInt8](repeating: 0x61, count: n)))
        }
        #expect(seen.count == 9)
        // 'a' x 64 (one full block plus a padding block), as sha256sum prints it
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 64)) == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
    }
}
