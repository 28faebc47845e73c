"""AppSync Events offline: the real-time WebSocket and HTTP publish (:mod:`.service`), running the
namespace's APPSYNC_JS handlers (:mod:`.appsync_js`)."""
