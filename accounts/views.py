from django.http import HttpResponse


def todo(request):
    return HttpResponse("coming soon")
