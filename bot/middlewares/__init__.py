from bot.middlewares.dedupe import DedupeMiddleware
from bot.middlewares.session import DbSessionMiddleware, Retry, UpdateNotHandled
from bot.middlewares.user import UserMiddleware

__all__ = ["DedupeMiddleware", "DbSessionMiddleware", "Retry", "UpdateNotHandled", "UserMiddleware"]
