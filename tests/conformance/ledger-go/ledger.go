package main

// Reading a ledger directory written by the Python file store, with no code of ours: the
// segments are decoded by hamba/avro's object-container reader, the checkpoints by x/mod's
// signed-note reader, and every hash is computed by transparency-dev/merkle's RFC 6962 hasher.

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/hamba/avro/v2"
	"github.com/hamba/avro/v2/ocf"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

var hasher = rfc6962.DefaultHasher

// avroConfig lifts hamba/avro's 1 MiB default cap on one bytes value: a batch column holds up
// to 4096 entries.
var avroConfig = avro.Config{MaxByteSliceSize: math.MaxInt32}.Freeze()

// batch is one container record of a segment (services/ledger/segment.py BATCH_SCHEMA).
type batch struct {
	FirstSeq int64  `avro:"first_seq"`
	Leaves   []byte `avro:"leaves"`
	Sizes    []byte `avro:"sizes"`
	Entries  []byte `avro:"entries"`
}

// manifest holds the fields of manifests/N.json this program compares (read, not trusted:
// the signed checkpoint is what the key vouches for).
type manifest struct {
	Origin     string   `json:"origin"`
	FirstSeq   uint64   `json:"first_seq"`
	Count      uint64   `json:"count"`
	MerkleRoot string   `json:"merkle_root"`
	TreeSize   uint64   `json:"tree_size"`
	Frontier   []string `json:"frontier"`
}

// checkpoint is the body of a C2SP tlog-checkpoint note.
type checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
}

// numbered lists DIR/sub/NNNNNNNNNN.ext in numeric order.
func numbered(dir, sub, ext string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, sub, "[0-9]*."+ext))
	sort.Strings(paths) // ten-digit names: lexical order is numeric order
	return paths, err
}

// readSegment returns the entries of one segment and the leaf hashes the segment stores.
func readSegment(path string) (entries [][]byte, stored [][]byte, firstSeq uint64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, 0, err
	}
	defer f.Close()
	dec, err := ocf.NewDecoder(f, ocf.WithDecoderConfig(avroConfig))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("not an Avro object container: %w", err)
	}
	firstSeq, err = strconv.ParseUint(string(dec.Metadata()["accessreview.ledger.first_seq"]), 10, 64)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("container metadata has no first_seq: %w", err)
	}
	for dec.HasNext() {
		var b batch
		if err := dec.Decode(&b); err != nil {
			return nil, nil, 0, err
		}
		if uint64(b.FirstSeq) != firstSeq+uint64(len(entries)) {
			return nil, nil, 0, fmt.Errorf("batch starts at %d, expected %d", b.FirstSeq, firstSeq+uint64(len(entries)))
		}
		if len(b.Sizes)%4 != 0 || len(b.Leaves) != 8*len(b.Sizes) {
			return nil, nil, 0, fmt.Errorf("batch at %d: %d size bytes for %d leaf bytes", b.FirstSeq, len(b.Sizes), len(b.Leaves))
		}
		rest := b.Entries
		for j := 0; j < len(b.Sizes)/4; j++ {
			n := binary.LittleEndian.Uint32(b.Sizes[4*j:])
			if uint64(n) > uint64(len(rest)) {
				return nil, nil, 0, fmt.Errorf("batch at %d: entry sizes overrun the entries", b.FirstSeq)
			}
			entries = append(entries, rest[:n])
			stored = append(stored, b.Leaves[32*j:32*j+32])
			rest = rest[n:]
		}
		if len(rest) != 0 {
			return nil, nil, 0, fmt.Errorf("batch at %d: %d bytes after the last entry", b.FirstSeq, len(rest))
		}
	}
	return entries, stored, firstSeq, dec.Error()
}

func readManifest(path string) (*manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Manifest manifest `json:"manifest"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	return &doc.Manifest, nil
}

// openCheckpoint verifies the note's signatures with the trusted keys (x/mod's rules: unknown
// keys are ignored, a failing known key rejects the note) and parses its body.
func openCheckpoint(data []byte, keys note.Verifiers) (*checkpoint, error) {
	n, err := note.Open(data, keys)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" { // origin, size, root, "" after the final newline
		return nil, fmt.Errorf("note text is not a checkpoint: %q", n.Text)
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != lines[1] {
		return nil, fmt.Errorf("tree size %q is not canonical decimal", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != hasher.Size() {
		return nil, fmt.Errorf("root hash %q is not base64 of %d bytes", lines[2], hasher.Size())
	}
	for _, ext := range lines[3 : len(lines)-1] {
		if ext == "" {
			return nil, fmt.Errorf("empty extension line")
		}
	}
	return &checkpoint{lines[0], size, root}, nil
}

// loadVerifier takes a note verifier key ("name+hash+base64(0x01||key)") or the path of one of our
// key JSON files; for the latter the key id we publish must equal the one x/mod derives.
func loadVerifier(arg string) (note.Verifier, error) {
	vkey := arg
	if _, err := os.Stat(arg); err == nil {
		if vkey, err = vkeyOf(arg); err != nil {
			return nil, err
		}
	}
	return note.NewVerifier(vkey)
}

// vkeyOf reads one of our key JSON files as a note verifier key; the key id we publish must be
// the one x/mod derives.
func vkeyOf(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var k struct {
		Name      string `json:"name"`
		KeyID     string `json:"key_id"`
		Algorithm string `json:"algorithm"`
		PublicKey string `json:"public_key"`
	}
	if err := json.Unmarshal(data, &k); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	raw, err := base64.StdEncoding.DecodeString(k.PublicKey)
	if err != nil || k.Algorithm != "ed25519" {
		return "", fmt.Errorf("%s: not an ed25519 key", path)
	}
	vkey, err := note.NewEd25519VerifierKey(k.Name, ed25519.PublicKey(raw))
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if id := strings.Split(vkey, "+")[1]; id != k.KeyID {
		return "", fmt.Errorf("%s: key_id %s, but the signed-note key hash is %s", path, k.KeyID, id)
	}
	return vkey, nil
}

func decodeHashes(hexes []string) ([][]byte, error) {
	out := make([][]byte, len(hexes))
	for i, h := range hexes {
		b, err := hex.DecodeString(h)
		if err != nil {
			return nil, fmt.Errorf("proof element %d: %w", i, err)
		}
		out[i] = b
	}
	return out, nil
}

func equalHex(b []byte, h string) bool {
	want, err := hex.DecodeString(h)
	return err == nil && bytes.Equal(b, want)
}
