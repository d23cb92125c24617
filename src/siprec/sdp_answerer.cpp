#include "siprec/sdp_answerer.h"

#include <cerrno>
#include <stdexcept>
#include <utility>

#include "sip/sip_text.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

// libre last: see siprec_signalling.cpp (HAVE_STDBOOL_H and HAVE_INET6 come from CMake).
#include <re.h>

namespace tw::siprec {

namespace {

// RFC 3551 §6: the static payload types the media side decodes, and telephone-event
// (RFC 4733), whose dynamic number the offer's own replaces (libre adopts the offerer's
// payload numbers when it aligns formats, sdp_media_align_formats).
struct LocalFormat {
  const char* id;
  const char* name;
  std::uint32_t clock_rate_hz;
};
constexpr LocalFormat kFormats[] = {
    {"0", "PCMU", 8000}, {"8", "PCMA", 8000}, {"9", "G722", 8000}, {"101", "telephone-event", 8000}};

std::string host_text(const sa* address) {
  char buffer[64] = {};
  if (address == nullptr || !sa_isset(address, SA_ADDR) || sa_ntop(address, buffer, sizeof buffer) != 0) return "";
  return buffer;
}

std::string error_text(int err) {
  char buffer[128] = {};
  return str_error(err, buffer, sizeof buffer);
}

std::string format_name(const sdp_format& format) {
  if (format.name != nullptr) return format.name;
  // A static payload type offered without a=rtpmap (RFC 3551 §6 names it).
  switch (format.pt) {
    case 0: return "PCMU";
    case 8: return "PCMA";
    case 9: return "G722";
    default: return "";
  }
}

bool same_formats(const std::vector<PayloadFormat>& a, const std::vector<PayloadFormat>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].payload_type != b[i].payload_type || a[i].encoding != b[i].encoding) return false;
  return true;
}

// An offer as an mbuf for sdp_decode (which reads from the buffer's position). Every line
// ends in a line break: RFC 2046 §5.1.1 gives the one before a multipart delimiter to the
// delimiter, so an SDP part arrives without its last one, and libre's sdp_decode refuses an
// unterminated last line (RFC 8866 §5: "<type>=<value>" CRLF).
struct OfferBuffer {
  struct mbuf* mb = nullptr;
  explicit OfferBuffer(std::string_view text) {
    mb = mbuf_alloc(text.size() + 2);
    if (mb == nullptr) return;
    int err = mbuf_write_mem(mb, reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    if (err == 0 && (text.empty() || text.back() != '\n')) err = mbuf_write_str(mb, "\r\n");
    if (err != 0) mb = static_cast<struct mbuf*>(mem_deref(mb));
    else mb->pos = 0;
  }
  ~OfferBuffer() { mem_deref(mb); }
  OfferBuffer(const OfferBuffer&) = delete;
  OfferBuffer& operator=(const OfferBuffer&) = delete;
};

bool is_rtp_transport(const std::string& proto) { return proto == "RTP/AVP" || proto == "RTP/SAVP"; }

// The SDES crypto suites (RFC 4568 §6.2) the media side decrypts (libsrtp2).
bool known_suite(std::string_view suite) {
  return suite == "AES_CM_128_HMAC_SHA1_80" || suite == "AES_CM_128_HMAC_SHA1_32";
}

// One a=crypto attribute value (RFC 4568 §9.1): "tag suite inline:KEY||lifetime|MKI:len
// [session-params]". Taken when the suite is one we know and the key is one inline
// master key and salt of 30 octets (RFC 4568 §6.2.1) without an MKI; anything else is
// passed over (the SRC may offer several lines, in its order of preference).
struct Crypto {
  std::string tag, suite, key;
};
std::optional<Crypto> parse_crypto(std::string_view value) {
  Crypto c;
  const std::size_t tag_end = value.find(' ');
  if (tag_end == std::string_view::npos || tag_end == 0 || tag_end > 9) return std::nullopt;
  c.tag = std::string(value.substr(0, tag_end));
  for (const char ch : c.tag)
    if (ch < '0' || ch > '9') return std::nullopt;
  value.remove_prefix(tag_end + 1);
  const std::size_t suite_end = value.find(' ');
  if (suite_end == std::string_view::npos) return std::nullopt;
  c.suite = std::string(value.substr(0, suite_end));
  if (!known_suite(c.suite)) return std::nullopt;
  value.remove_prefix(suite_end + 1);
  if (value.substr(0, 7) != "inline:") return std::nullopt;
  value.remove_prefix(7);
  const std::string_view key64 = value.substr(0, value.find_first_of("| ;"));
  const std::size_t after = key64.size();
  // A lifetime may follow; an MKI (a second '|' part with ':') is not taken: one key only.
  if (after < value.size() && value[after] == '|') {
    const std::string_view rest = value.substr(after + 1);
    if (rest.find(':') != std::string_view::npos) return std::nullopt;
  }
  if (key64.size() != 40) return std::nullopt;  // 30 octets in base64, no padding
  unsigned char raw[32] = {};
  const int n = EVP_DecodeBlock(raw, reinterpret_cast<const unsigned char*>(key64.data()), 40);
  if (n != 30) return std::nullopt;
  c.key.assign(reinterpret_cast<const char*>(raw), 30);
  return c;
}

// The SRC's first usable a=crypto line of `media`.
std::optional<Crypto> offered_crypto(const sdp_media* media) {
  std::optional<Crypto> found;
  sdp_media_rattr_apply(media, "crypto",
                        [](const char*, const char* value, void* arg) -> bool {
                          auto* out = static_cast<std::optional<Crypto>*>(arg);
                          if (value != nullptr) *out = parse_crypto(value);
                          return out->has_value();  // stop at the first usable one
                        },
                        &found);
  return found;
}

// Our key for the answer's a=crypto line (RFC 4568 §6.1: each direction has its own). We
// never send media, so nothing is ever encrypted with it, but the answer must carry one.
std::string fresh_key_base64() {
  unsigned char raw[30];
  if (RAND_bytes(raw, sizeof raw) != 1) return "";
  unsigned char text[44] = {};
  EVP_EncodeBlock(text, raw, sizeof raw);
  return std::string(reinterpret_cast<const char*>(text), 40);
}

}  // namespace

SdpAnswerer::SdpAnswerer(const std::string& media_address) : media_address_(media_address) {
  sa address{};
  if (sa_set_str(&address, media_address.c_str(), 0) != 0 || sa_is_any(&address))
    throw std::invalid_argument("siprec: media address '" + media_address + "' is not an address an SRC can send RTP to");
  if (sdp_session_alloc(&session_, &address) != 0) throw std::runtime_error("siprec: sdp_session_alloc failed");
}

SdpAnswerer::~SdpAnswerer() { mem_deref(session_); }

void SdpAnswerer::release_ports(RtpPortAllocator& ports) noexcept {
  for (StreamInfo& stream : streams_) {
    ports.release(stream.local_rtp_port);
    stream.local_rtp_port = 0;
  }
}

std::optional<OfferRefusal> SdpAnswerer::apply_offer(std::string_view sdp_text, RtpPortAllocator& ports,
                                                     SessionChange& change) {
  const bool initial = streams_.empty();
  // 1. A scratch decode with no local media: libre then keeps every offered m= line as a
  //    remote-only one, and we learn how many there are, and which, before adding our local
  //    audio media in their order (libre pairs an offered m= line with the first unused
  //    local media of the same type and transport, sdp_decode / sdp_media_find).
  sa address{};
  sa_set_str(&address, media_address_.c_str(), 0);
  struct sdp_session* scratch = nullptr;
  if (sdp_session_alloc(&scratch, &address) != 0) return OfferRefusal{500, "Server Internal Error", "sdp_session_alloc"};
  std::vector<std::pair<std::string, std::string>> offered;  // media type, transport
  int err = 0;
  {
    OfferBuffer buffer(sdp_text);
    err = buffer.mb == nullptr ? ENOMEM : sdp_decode(scratch, buffer.mb, true);
  }
  if (err == 0) {
    struct le* element = nullptr;
    LIST_FOREACH(sdp_session_medial(scratch, false), element) {
      if (offered.size() > kMaxMediaLines) break;
      const auto* media = static_cast<const sdp_media*>(element->data);
      const char* name = sdp_media_name(media);
      const char* proto = sdp_media_proto(media);
      offered.emplace_back(name != nullptr ? name : "", proto != nullptr ? proto : "");
    }
  }
  mem_deref(scratch);
  // RFC 3264 §6 / RFC 3261 §13.3.1: a session description we cannot take is refused with 488.
  if (err != 0) return OfferRefusal{488, "Not Acceptable Here", "the SDP offer does not parse: " + error_text(err)};
  if (offered.empty()) return OfferRefusal{488, "Not Acceptable Here", "the SDP offer has no m= line"};
  if (offered.size() > kMaxMediaLines)
    return OfferRefusal{488, "Not Acceptable Here", "more than " + std::to_string(kMaxMediaLines) + " m= lines"};
  if (offered.size() < streams_.size())
    return OfferRefusal{488, "Not Acceptable Here", "the offer has fewer m= lines than the last one (RFC 3264 §8.1)"};

  // 2. Our side of each new audio RTP/AVP m= line: receive only (RFC 7866 §8.1.1: the SRS
  //    answers a sendonly stream with recvonly) and the codecs the media side decodes.
  //    Anything else (SRTP, video, text) gets no local media, and libre answers it with
  //    port 0, a refused stream (RFC 3264 §6).
  for (std::size_t i = streams_.size(); i < offered.size(); ++i) {
    if (offered[i].first != "audio" || !is_rtp_transport(offered[i].second)) continue;
    struct sdp_media* media = nullptr;
    if (sdp_media_add(&media, session_, "audio", 0, offered[i].second.c_str()) != 0)
      return OfferRefusal{500, "Server Internal Error", "sdp_media_add"};
    sdp_media_set_ldir(media, SDP_RECVONLY);
    for (const LocalFormat& format : kFormats)
      if (sdp_format_add(nullptr, media, false, format.id, format.name, format.clock_rate_hz, 1, nullptr, nullptr,
                         nullptr, false, nullptr) != 0)
        return OfferRefusal{500, "Server Internal Error", "sdp_format_add"};
  }

  // 3. The real decode, into the session's own SDP state (its o= line and version carry over
  //    from answer to answer, RFC 3264 §8).
  {
    OfferBuffer buffer(sdp_text);
    err = buffer.mb == nullptr ? ENOMEM : sdp_decode(session_, buffer.mb, true);
  }
  if (err != 0)
    return OfferRefusal{488, "Not Acceptable Here", "the SDP offer does not match the session: " + error_text(err)};

  // 4. What each m= line is now, and the RTP ports of the accepted ones.
  std::size_t index = 0;
  bool any_accepted = false;
  bool all_on_hold = true;
  struct le* element = nullptr;
  LIST_FOREACH(sdp_session_medial(session_, false), element) {
    auto* media = static_cast<sdp_media*>(element->data);
    if (index >= offered.size()) break;
    const bool is_new = index >= streams_.size();
    if (is_new) streams_.emplace_back();
    StreamInfo& stream = streams_[index];
    const StreamInfo before = stream;
    stream.media_index = index;
    const char* label = sdp_media_rattr(media, "label");
    stream.label = label != nullptr ? sip::printable(label, 64) : "";
    const bool ours = offered[index].first == "audio" && is_rtp_transport(offered[index].second);
    // SRTP (RTP/SAVP): taken with the SRC's SDES key (RFC 4568), refused without a usable one.
    const bool secure = offered[index].second == "RTP/SAVP";
    std::optional<Crypto> crypto;
    if (ours && secure) crypto = offered_crypto(media);
    stream.formats.clear();
    if (ours) {
      struct le* format_element = nullptr;
      LIST_FOREACH(sdp_media_format_lst(media, false), format_element) {
        const auto* format = static_cast<const sdp_format*>(format_element->data);
        if (!format->sup) continue;
        stream.formats.push_back(PayloadFormat{format->pt, format_name(*format), format->srate});
      }
    }
    stream.remote_rtp_port = sdp_media_rport(media);
    stream.remote_address = host_text(sdp_media_raddr(media));
    bool has_audio_codec = false;
    for (const PayloadFormat& format : stream.formats) has_audio_codec |= format.encoding != "telephone-event";
    // RFC 3264 §8.2: port 0 in a new offer removes the stream.
    stream.accepted = ours && stream.remote_rtp_port != 0 && has_audio_codec && (!secure || crypto.has_value());
    if (stream.accepted && crypto) {
      // The answer's line: the offer's tag and suite, our own key (RFC 4568 §7.1.2). A new
      // key from the SRC (a re-offer re-keying) is taken; ours stays.
      if (stream.srtp_suite != crypto->suite || stream.srtp_key != crypto->key) {
        stream.srtp_suite = crypto->suite;
        stream.srtp_key = crypto->key;
        local_keys_.resize(std::max(local_keys_.size(), index + 1));
        if (local_keys_[index].empty()) local_keys_[index] = fresh_key_base64();
      }
      sdp_media_set_lattr(media, true, "crypto", "%s %s inline:%s", crypto->tag.c_str(), crypto->suite.c_str(),
                          local_keys_[index].c_str());
    } else if (!stream.accepted || !secure) {
      stream.srtp_suite.clear();
      stream.srtp_key.clear();
    }
    if (stream.accepted && stream.local_rtp_port == 0) {
      const auto port = ports.acquire();
      if (!port) return OfferRefusal{503, "Service Unavailable", "no free RTP port pair in the configured range"};
      stream.local_rtp_port = *port;
    } else if (!stream.accepted && stream.local_rtp_port != 0) {
      ports.release(stream.local_rtp_port);
      stream.local_rtp_port = 0;
    }
    if (ours) {
      sdp_media_set_lport(media, stream.local_rtp_port);
      // RFC 4574 §5 / RFC 7866 §8.1.1: the answer keeps the stream's label.
      if (!stream.label.empty()) sdp_media_set_lattr(media, true, "label", "%s", stream.label.c_str());
      else sdp_media_del_lattr(media, "label");
    }
    // A stream the SRC no longer sends on: a=inactive, or a=recvonly (libre stores the
    // offer's direction as seen from our side: SDP_RECVONLY means the SRC sends), or the
    // old c=0.0.0.0 hold of RFC 2543 (RFC 3264 §8.4). In a recording session every stream
    // is sendonly from the SRC (RFC 7866 §8.1.1), so sendonly itself is no hold here; an SRC
    // pauses a stream, for a hold of the recorded call or a pause of the recording, by
    // offering it inactive.
    const sa* remote = sdp_media_raddr(media);
    stream.on_hold =
        stream.accepted && (!(sdp_media_rdir(media) & SDP_RECVONLY) || (remote != nullptr && sa_is_any(remote)));
    if (stream.accepted) {
      any_accepted = true;
      all_on_hold = all_on_hold && stream.on_hold;
    }
    if (!is_new) {
      change.hold_changed |= before.on_hold != stream.on_hold;
      change.streams_changed |= before.accepted != stream.accepted || before.label != stream.label ||
                                before.remote_rtp_port != stream.remote_rtp_port ||
                                before.remote_address != stream.remote_address ||
                                !same_formats(before.formats, stream.formats) || before.srtp_key != stream.srtp_key;
    } else if (!initial) {
      change.streams_changed = true;
    }
    ++index;
  }
  on_hold_ = any_accepted && all_on_hold;
  if (initial && !any_accepted)
    return OfferRefusal{488, "Not Acceptable Here",
                        "no offered stream is audio over RTP/AVP, or RTP/SAVP with an SDES key we take "
                        "(AES_CM_128_HMAC_SHA1_80 or _32), with PCMU, PCMA or G722"};
  return std::nullopt;
}

std::string SdpAnswerer::answer() {
  struct mbuf* mb = nullptr;
  if (sdp_encode(&mb, session_, false) != 0 || mb == nullptr) return "";
  std::string out(reinterpret_cast<const char*>(mbuf_buf(mb)), mbuf_get_left(mb));
  mem_deref(mb);
  return out;
}

}  // namespace tw::siprec
