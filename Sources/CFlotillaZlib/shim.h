// zlib, for gzip request bodies: NIOHTTPRequestCompressor handles one request per handler and cannot serve a
// kept-alive connection, so the agent compresses bodies itself.
#include <zlib.h>
