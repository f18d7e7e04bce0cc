/* RFC 9162 Merkle hashing of many small inputs in one call: the per-entry loop of the ledger's
 * verifier and writer, without one Python call per SHA-256. SHA-256 itself is OpenSSL's (EVP,
 * the same implementation hashlib uses, with the CPU's SHA extensions where present); this file
 * only loops. The GIL is released while hashing. services/ledger/hashing.py falls back to
 * hashlib, with identical results, when this extension was not built. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>

static const EVP_MD *sha256_md = NULL;

/* Hash prefix || data[i] for each piece; out receives 32 bytes per piece. Returns 0 on success. */
static int hash_pieces(unsigned char prefix, const unsigned char *data, const Py_ssize_t *starts,
                       const Py_ssize_t *lengths, Py_ssize_t count, unsigned char *out) {
    EVP_MD_CTX *primed = EVP_MD_CTX_new();
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = primed && ctx && EVP_DigestInit_ex2(primed, sha256_md, NULL) && EVP_DigestUpdate(primed, &prefix, 1);
    for (Py_ssize_t i = 0; ok && i < count; i++) {
        unsigned int n = 0;
        ok = EVP_MD_CTX_copy_ex(ctx, primed) && EVP_DigestUpdate(ctx, data + starts[i], (size_t)lengths[i]) &&
             EVP_DigestFinal_ex(ctx, out + 32 * i, &n) && n == 32;
    }
    EVP_MD_CTX_free(ctx);
    EVP_MD_CTX_free(primed);
    return ok ? 0 : -1;
}

/* leaf_hashes(sizes, blob) -> bytes | None: sizes is little-endian uint32 lengths of the entries
 * laid end to end in blob; returns SHA-256(0x00 || entry) of each, concatenated, or None when
 * the sizes do not add up to the blob. */
static PyObject *leaf_hashes(PyObject *self, PyObject *args) {
    Py_buffer sizes, blob;
    if (!PyArg_ParseTuple(args, "y*y*", &sizes, &blob)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t count = sizes.len / 4;
    Py_ssize_t *starts = NULL, *lengths = NULL;
    if (sizes.len % 4) goto mismatch;
    starts = PyMem_Malloc(sizeof(Py_ssize_t) * (count ? count : 1));
    lengths = PyMem_Malloc(sizeof(Py_ssize_t) * (count ? count : 1));
    if (!starts || !lengths) { PyErr_NoMemory(); goto done; }
    Py_ssize_t at = 0;
    const unsigned char *raw = sizes.buf;
    for (Py_ssize_t i = 0; i < count; i++) {
        uint32_t length = (uint32_t)raw[4 * i] | (uint32_t)raw[4 * i + 1] << 8 | (uint32_t)raw[4 * i + 2] << 16 |
                          (uint32_t)raw[4 * i + 3] << 24;
        starts[i] = at;
        lengths[i] = (Py_ssize_t)length;
        at += (Py_ssize_t)length;
        if (at > blob.len) goto mismatch;
    }
    if (at != blob.len) goto mismatch;
    result = PyBytes_FromStringAndSize(NULL, 32 * count);
    if (!result) goto done;
    int failed;
    Py_BEGIN_ALLOW_THREADS
    failed = hash_pieces(0x00, blob.buf, starts, lengths, count, (unsigned char *)PyBytes_AS_STRING(result));
    Py_END_ALLOW_THREADS
    if (failed) { Py_CLEAR(result); PyErr_SetString(PyExc_RuntimeError, "OpenSSL SHA-256 failed"); }
    goto done;
mismatch:
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(starts);
    PyMem_Free(lengths);
    PyBuffer_Release(&sizes);
    PyBuffer_Release(&blob);
    return result;
}

/* pair_level(level) -> bytes: level is 2k hashes of 32 bytes; returns the k parents
 * SHA-256(0x01 || left || right), concatenated. */
static PyObject *pair_level(PyObject *self, PyObject *args) {
    Py_buffer level;
    if (!PyArg_ParseTuple(args, "y*", &level)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t count = level.len / 64;
    Py_ssize_t *starts = NULL, *lengths = NULL;
    if (level.len % 64) { PyErr_SetString(PyExc_ValueError, "a level is pairs of 32-byte hashes"); goto done; }
    starts = PyMem_Malloc(sizeof(Py_ssize_t) * (count ? count : 1));
    lengths = PyMem_Malloc(sizeof(Py_ssize_t) * (count ? count : 1));
    if (!starts || !lengths) { PyErr_NoMemory(); goto done; }
    for (Py_ssize_t i = 0; i < count; i++) { starts[i] = 64 * i; lengths[i] = 64; }
    result = PyBytes_FromStringAndSize(NULL, 32 * count);
    if (!result) goto done;
    int failed;
    Py_BEGIN_ALLOW_THREADS
    failed = hash_pieces(0x01, level.buf, starts, lengths, count, (unsigned char *)PyBytes_AS_STRING(result));
    Py_END_ALLOW_THREADS
    if (failed) { Py_CLEAR(result); PyErr_SetString(PyExc_RuntimeError, "OpenSSL SHA-256 failed"); }
done:
    PyMem_Free(starts);
    PyMem_Free(lengths);
    PyBuffer_Release(&level);
    return result;
}

static PyMethodDef methods[] = {
    {"leaf_hashes", leaf_hashes, METH_VARARGS, "SHA-256(0x00 || entry) of each entry, concatenated; None if sizes lie"},
    {"pair_level", pair_level, METH_VARARGS, "SHA-256(0x01 || left || right) of each pair, concatenated"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_leafhash", NULL, -1, methods};

PyMODINIT_FUNC PyInit__leafhash(void) {
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!sha256_md) {
        PyErr_SetString(PyExc_ImportError, "OpenSSL has no SHA256");
        return NULL;
    }
    return PyModule_Create(&module);
}
