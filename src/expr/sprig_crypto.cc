// sprig: checksums, AES, random values and the functions Skiff does not offer.
// Digests and ciphers are OpenSSL's; random values come from the evaluation's
// RandomSource (never from the system), so expressions stay repeatable.
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "expr/exprlang.h"
#include "expr/sprig.h"

namespace skiff::expr::internal {
namespace {

std::string hex(const unsigned char* bytes, size_t n) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  return out;
}

std::string digest(const EVP_MD* md, const std::string& s) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), out, &n, md, nullptr);
  return std::string(reinterpret_cast<const char*>(out), n);
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// Go's base64.StdEncoding.DecodeString: padded, no whitespace.
bool unbase64(const std::string& text, std::string* out) {
  if (text.size() % 4 != 0) return false;
  std::string bytes(text.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return false;
  size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  bytes.resize(static_cast<size_t>(n) - pad);
  *out = std::move(bytes);
  return true;
}

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

// Sprig's key: the password's bytes, zero-padded or cut to 32 (AES-256).
std::string aes_key(const std::string& password) {
  std::string key(32, '\0');
  std::memcpy(key.data(), password.data(), std::min<size_t>(32, password.size()));
  return key;
}

// AES-256-CBC without OpenSSL's padding: sprig pads (PKCS#7) and unpads itself.
std::string aes_cbc(bool encrypt, const std::string& key, const std::string& iv, const std::string& data) {
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  auto k = reinterpret_cast<const unsigned char*>(key.data());
  auto v = reinterpret_cast<const unsigned char*>(iv.data());
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, k, v, encrypt ? 1 : 0) != 1) fail("crypto/aes: cannot initialise");
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  std::string out(data.size() + 16, '\0');
  int n = 0, tail = 0;
  auto o = reinterpret_cast<unsigned char*>(out.data());
  EVP_CipherUpdate(ctx.get(), o, &n, reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  EVP_CipherFinal_ex(ctx.get(), o + n, &tail);
  out.resize(static_cast<size_t>(n + tail));
  return out;
}

Json decrypt_aes(Args& a) {
  expect_args("decryptAES", a, 2, 2);
  std::string text = sprig_string(a[1]);
  if (text.empty()) return Json("");
  std::string crypt;
  if (!unbase64(text, &crypt)) fail("illegal base64 data at input byte 0");
  if (crypt.size() < 16) fail("crypto/cipher: input too short");
  std::string body = crypt.substr(16);
  if (body.size() % 16 != 0) fail("crypto/cipher: input not full blocks");
  std::string plain = aes_cbc(false, aes_key(sprig_string(a[0])), crypt.substr(0, 16), body);
  if (plain.empty()) return Json("");
  size_t pad = static_cast<unsigned char>(plain.back());
  if (pad > plain.size()) fail("decryptAES: bad padding");
  plain.resize(plain.size() - pad);
  return Json(plain);
}

Json encrypt_aes(Args& a, RandomSource& random) {
  expect_args("encryptAES", a, 2, 2);
  std::string plain = sprig_string(a[1]);
  if (plain.empty()) return Json("");
  size_t pad = 16 - plain.size() % 16;
  plain.append(pad, static_cast<char>(pad));
  std::string iv(16, '\0');
  for (char& c : iv) c = static_cast<char>(random.below(256));
  return Json(base64(iv + aes_cbc(true, aes_key(sprig_string(a[0])), iv, plain)));
}

std::string random_from(RandomSource& random, const std::string& alphabet, int64_t count) {
  if (count < 0) count = 0;
  check_size(static_cast<size_t>(count));
  std::string out;
  for (int64_t i = 0; i < count; ++i) out += alphabet[random.below(alphabet.size())];
  return out;
}

const std::string kDigits = "0123456789";
const std::string kLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

// Printable ASCII, space to tilde, as goutils' RandomAscii draws.
std::string ascii_alphabet() {
  std::string s;
  for (char c = ' '; c <= '~'; ++c) s += c;
  return s;
}

// Splits UTF-8 text into its characters, so that shuffle moves runes, not bytes.
std::vector<std::string> runes(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    size_t n = 1;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0xF0) n = 4;
    else if (c >= 0xE0) n = 3;
    else if (c >= 0xC0) n = 2;
    n = std::min(n, s.size() - i);
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace

RandomSource::RandomSource(const std::string& seed_material) {
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(seed_material.data()), seed_material.size(), h);
  for (int i = 0; i < 4; ++i) {
    state_[i] = 0;
    for (int b = 0; b < 8; ++b) state_[i] = (state_[i] << 8) | h[i * 8 + b];
  }
  if ((state_[0] | state_[1] | state_[2] | state_[3]) == 0) state_[0] = 1;
}

uint64_t RandomSource::next() {
  auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

uint64_t RandomSource::below(uint64_t n) {
  // Rejection keeps every value equally likely.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t v;
  do v = next();
  while (v >= limit);
  return v % n;
}

bool is_sprig_random_function(const std::string& name) {
  static const char* kNames[] = {"randAlphaNum", "randAlpha", "randAscii", "randNumeric", "randInt",
                                 "randBytes",    "uuidv4",    "shuffle",   "encryptAES"};
  return std::any_of(std::begin(kNames), std::end(kNames), [&](const char* n) { return name == n; });
}

Json call_sprig_random(const std::string& name, Args& a, RandomSource* random) {
  if (!random) fail("sprig." + name + ": the evaluation has no source of randomness");
  RandomSource& r = *random;
  if (name == "encryptAES") return encrypt_aes(a, r);
  if (name == "uuidv4") {
    expect_args(name, a, 0, 0);
    std::string bytes(16, '\0');
    for (char& c : bytes) c = static_cast<char>(r.below(256));
    bytes[6] = static_cast<char>((bytes[6] & 0x0F) | 0x40);  // version 4
    bytes[8] = static_cast<char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
    std::string h = hex(reinterpret_cast<const unsigned char*>(bytes.data()), 16);
    return Json(h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20));
  }
  if (name == "shuffle") {
    expect_args(name, a, 1, 1);
    auto chars = runes(sprig_string(a[0]));
    for (size_t i = chars.size(); i > 1; --i) std::swap(chars[i - 1], chars[r.below(i)]);
    std::string out;
    for (const auto& c : chars) out += c;
    return Json(out);
  }
  if (name == "randInt") {
    expect_args(name, a, 2, 2);
    int64_t lo = sprig_int(a[0]), hi = sprig_int(a[1]);
    // Go's rand.Intn panics unless max > min.
    if (hi <= lo) fail("invalid argument to Intn");
    return int_value(lo + static_cast<int64_t>(r.below(static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo))));
  }
  expect_args(name, a, 1, 1);
  const int64_t count = sprig_int(a[0]);
  if (name == "randBytes") {
    check_size(static_cast<size_t>(std::max<int64_t>(count, 0)));
    std::string bytes(static_cast<size_t>(std::max<int64_t>(count, 0)), '\0');
    for (char& c : bytes) c = static_cast<char>(r.below(256));
    return Json(base64(bytes));
  }
  if (name == "randAlphaNum") return Json(random_from(r, kLetters + kDigits, count));
  if (name == "randAlpha") return Json(random_from(r, kLetters, count));
  if (name == "randNumeric") return Json(random_from(r, kDigits, count));
  return Json(random_from(r, ascii_alphabet(), count));  // randAscii
}

void add_sprig_crypto(SprigTable& t) {
  t["sha1sum"] = [](Args& a) {
    expect_args("sha1sum", a, 1, 1);
    std::string d = digest(EVP_sha1(), sprig_string(a[0]));
    return Json(hex(reinterpret_cast<const unsigned char*>(d.data()), d.size()));
  };
  t["sha256sum"] = [](Args& a) {
    expect_args("sha256sum", a, 1, 1);
    std::string d = digest(EVP_sha256(), sprig_string(a[0]));
    return Json(hex(reinterpret_cast<const unsigned char*>(d.data()), d.size()));
  };
  t["sha512sum"] = [](Args& a) {
    expect_args("sha512sum", a, 1, 1);
    std::string d = digest(EVP_sha512(), sprig_string(a[0]));
    return Json(hex(reinterpret_cast<const unsigned char*>(d.data()), d.size()));
  };
  t["decryptAES"] = decrypt_aes;
  t["hello"] = [](Args& a) { expect_args("hello", a, 0, 0); return Json("Hello!"); };
  // Keys, certificates and password hashes need the system's randomness or
  // algorithms Skiff does not carry; the DNS lookup needs the network. Each
  // says so by name instead of being an unknown function.
  for (const char* name : {"bcrypt", "htpasswd", "genPrivateKey", "derivePassword", "buildCustomCert", "genCA",
                           "genCAWithKey", "genSelfSignedCert", "genSelfSignedCertWithKey", "genSignedCert",
                           "genSignedCertWithKey", "getHostByName"}) {
    t[name] = [n = std::string(name)](Args&) -> Json {
      fail("sprig." + n + " is not supported by Skiff (expressions do not generate keys, hash passwords or use the network)");
    };
  }
}

}  // namespace skiff::expr::internal
