from django.http import HttpRequest, JsonResponse

from .supplier import fetch_prices


def price(request: HttpRequest, sku: str) -> JsonResponse:
    """A live price from the supplier. RetryMiddleware retries it on GET (it is under /api/);
    when the supplier stays down, the client gets a JSON 503 with Retry-After."""
    prices = fetch_prices()
    if sku not in prices:
        return JsonResponse({"error": f"unknown sku {sku}"}, status=404)
    return JsonResponse({"sku": sku, "cents": prices[sku]})
